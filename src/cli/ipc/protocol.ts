// The local RPC between `glassbox serve` and the other commands: JSON lines over a Unix domain
// socket. Request `{id, method, params}`, answer `{id, result}` or `{id, error: {code, message}}`.

import { createHash } from 'node:crypto'
import { readFile, realpath } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ErrorReport } from '../output.js'

export type RequestId = string | number

export interface Request {
  id: RequestId
  method: string
  params?: unknown
}

export type Response = { id: RequestId | null; result: unknown } | { id: RequestId | null; error: ErrorReport }

/** A request line longer than this is refused (and the connection closed). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024

export const SOCKET_NAME = 'glassbox.sock'
/** The file in the database directory naming the socket a running server listens on. */
export const SERVER_FILE = 'serve.json'

/** sun_path holds 108 bytes on Linux and 104 on macOS, each with a terminating NUL. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103

export interface ServerRecord {
  socket: string
  pid: number
}

/**
 * Where a server for `dir` listens: inside the directory when the path fits in sun_path, else
 * under the temp directory, named by a hash of the directory's real path.
 */
export async function socketPathFor(dir: string): Promise<string> {
  const real = await realpath(dir)
  const inside = path.join(real, SOCKET_NAME)
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside
  return path.join(os.tmpdir(), hashedSocketName(real))
}

function hashedSocketName(realDir: string): string {
  return `glassbox-${createHash('sha256').update(realDir).digest('hex').slice(0, 24)}.sock`
}

/**
 * Whether a server of `dir` may listen on `socket`: the one inside the directory, or the one named
 * by the hash of its real path (under whatever temp directory that server had). A server record
 * copied with the directory names the original's socket, which fails this.
 */
export async function socketBelongsTo(dir: string, socket: string): Promise<boolean> {
  let real: string
  try {
    real = await realpath(dir)
  } catch {
    return false
  }
  return socket === path.join(real, SOCKET_NAME) || path.basename(socket) === hashedSocketName(real)
}

/** The server record a running (or killed) server left in `dir`, or null. */
export async function readServerRecord(dir: string): Promise<ServerRecord | null> {
  let text: string
  try {
    text = await readFile(path.join(dir, SERVER_FILE), 'utf8')
  } catch {
    return null
  }
  try {
    const r = JSON.parse(text) as ServerRecord
    return typeof r.socket === 'string' && typeof r.pid === 'number' ? r : null
  } catch {
    return null
  }
}

/** Splits a byte stream into lines; calls `onLine` per complete line, `onOverflow` once if a line is too long. */
export class LineReader {
  private buffered = ''
  private overflowed = false

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: string): void {
    if (this.overflowed) return
    this.buffered += chunk
    let nl: number
    while ((nl = this.buffered.indexOf('\n')) !== -1) {
      const line = this.buffered.slice(0, nl)
      this.buffered = this.buffered.slice(nl + 1)
      if (line.trim() !== '') this.onLine(line)
    }
    if (this.buffered.length > MAX_LINE_BYTES) {
      this.overflowed = true
      this.buffered = ''
      this.onOverflow()
    }
  }
}
