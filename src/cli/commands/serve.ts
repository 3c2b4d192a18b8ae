// `glassbox serve`: hold a database open, run its executor, and answer the other commands on a
// local socket until SIGINT or SIGTERM.

import { rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { IpcServer } from '../ipc/server.js'
import { readServerRecord, SERVER_FILE, socketPathFor, type ServerRecord } from '../ipc/protocol.js'
import { inlineJson } from '../output.js'
import { shutdownSignal } from '../signals.js'
import { openDatabase } from '../session.js'

export interface ServeParameters {
  dir: string
  /** Called once the socket accepts requests. */
  onReady?(ready: ServeReady): void
  /** Resolves when the server should stop. */
  until: Promise<unknown>
  /** Told when the executor stops on an error (the server keeps answering reads). */
  onExecutorError?(err: Error): void
}

export interface ServeReady {
  key: string
  socket: string
  pid: number
}

export async function serve(p: ServeParameters): Promise<void> {
  const db = await openDatabase(p.dir)
  db.on('error', (err: Error) => p.onExecutorError?.(err))
  let server: IpcServer | null = null
  const record: ServerRecord = { socket: '', pid: process.pid }
  try {
    record.socket = await socketPathFor(p.dir)
    server = new IpcServer(db, record.socket)
    await server.listen()
    await writeRecord(p.dir, record)
    p.onReady?.({ key: db.key, socket: record.socket, pid: process.pid })
    await p.until
  } finally {
    await server?.close()
    const left = await readServerRecord(p.dir)
    if (left?.pid === process.pid) await rm(path.join(p.dir, SERVER_FILE), { force: true })
    await db.close()
  }
}

async function writeRecord(dir: string, record: ServerRecord): Promise<void> {
  const file = path.join(dir, SERVER_FILE)
  await writeFile(file + '.tmp', JSON.stringify(record) + '\n')
  await rename(file + '.tmp', file)
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Hold the database open, run its executor and answer other commands on a local socket',
  usage: ['serve [--dir D] [--json]'],
  flags: COMMON_FLAGS,
  notes: [
    `Listens on D/glassbox.sock (under the temp directory when that path is too long; D/${SERVER_FILE} names it)`,
    'and prints one line when ready. Stops cleanly on SIGINT or SIGTERM, removing the socket.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('serve', args, COMMON_OPTIONS)
    positionals('serve', given, [])
    const until = shutdownSignal(io, 'closing')
    await serve({
      dir: values.dir ?? DEFAULT_DIR,
      until,
      onExecutorError: (err) => io.err(`glassbox: the executor stopped: ${err.message}`),
      // One line either way: scripts wait for it before sending requests.
      onReady: (r) => io.out(values.json ? inlineJson({ ready: true, ...r }) : `serving ${r.key} on ${r.socket} (pid ${r.pid})`),
    })
    return EXIT.ok
  },
}
