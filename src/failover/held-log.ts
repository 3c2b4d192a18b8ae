// The blocks a standby holds (docs/protocol.md §18.1), on stable storage: an append-only file of
// records, each `u32 length | payload | BLAKE2b-256(payload)` with payload the canonical encoding of
// `{start, blocks, log?}` (`log: "keys"` for a confidential database's keys log). One append and one datasync per block; no rename, no directory sync.
//
// A record stays until the standby's replica holds its blocks *on stable storage*: the replica's own
// writes are not synced as they arrive, so after a power loss it may be shorter than it was, and the
// held blocks must still cover the difference. Compaction therefore syncs the replica first, then
// rewrites the file without the records it covers. A torn last record (a crash mid-append) is dropped
// on reading: it was never answered "held".

import { existsSync } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { decode, encode } from '../codec/canonical.js'
import { hash } from '../codec/hash.js'
import { DatabaseError } from '../errors.js'

export const HELD_FILE = 'standby-held.log'

/** The logs the executor writes: the index log, and a confidential database's keys log (§17.3). */
export type HeldLogName = 'index' | 'keys'

/** Blocks forwarded at `start` of one log (one append of the executor). */
export interface HeldBlock {
  start: number
  blocks: Buffer[]
  /** Absent: the index log. */
  log?: 'keys'
}

/** Rewrite the file once it is this large and the replica has caught up with some of it. */
const COMPACT_BYTES = 16 * 1024 * 1024

export class HeldLog {
  private size = 0

  private constructor(
    private readonly file: string,
    private handle: FileHandle,
  ) {}

  /** Opens (or makes) the file in `dir`, and the blocks it holds, in the order they were held. */
  static async open(dir: string): Promise<{ log: HeldLog; held: HeldBlock[] }> {
    const file = path.join(dir, HELD_FILE)
    const { held, validBytes } = await readRecords(file)
    const handle = await open(file, 'a+')
    // A torn tail is cut, so the next record starts where the valid ones end.
    await handle.truncate(validBytes)
    const log = new HeldLog(file, handle)
    log.size = validBytes
    return { log, held }
  }

  /** Adds a record and syncs it: once this resolves, the blocks survive a power loss. */
  async append(block: HeldBlock): Promise<void> {
    const record = frame(block)
    await this.handle.write(record, 0, record.length, this.size)
    await this.handle.datasync()
    this.size += record.length
  }

  /** Whether the file is large enough for `compact` to be worth its syncs. */
  get large(): boolean {
    return this.size > COMPACT_BYTES
  }

  /** Rewrites the file with `keep` only (the caller synced the replica that holds the rest). */
  async compact(keep: readonly HeldBlock[]): Promise<void> {
    const tmp = this.file + '.tmp'
    const out = await open(tmp, 'w')
    let size = 0
    try {
      for (const b of keep) {
        const record = frame(b)
        await out.write(record, 0, record.length, size)
        size += record.length
      }
      await out.sync()
    } finally {
      await out.close()
    }
    await this.handle.close()
    await rename(tmp, this.file)
    await syncDirectory(path.dirname(this.file))
    this.handle = await open(this.file, 'a+')
    this.size = size
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}

/**
 * The blocks held in `dir`, each record superseding what earlier ones held from its start on (an
 * executor that restarted forwards again from where its log really ends). Empty when there is no file.
 */
export async function readHeld(dir: string): Promise<HeldBlock[]> {
  return (await readRecords(path.join(dir, HELD_FILE))).held
}

export async function removeHeld(dir: string): Promise<void> {
  await rm(path.join(dir, HELD_FILE), { force: true })
}

export function heldFileExists(dir: string): boolean {
  return existsSync(path.join(dir, HELD_FILE))
}

/** Applies a newly held block to the list: it replaces whatever was held of its log from its start on. */
export function supersede(held: readonly HeldBlock[], block: HeldBlock): HeldBlock[] {
  const kept: HeldBlock[] = []
  for (const h of held) {
    if (h.log !== block.log) {
      kept.push(h)
      continue
    }
    if (h.start >= block.start) continue
    const overlap = h.start + h.blocks.length - block.start
    kept.push(overlap > 0 ? { ...h, blocks: h.blocks.slice(0, h.blocks.length - overlap) } : h)
  }
  return [...kept, block]
}

function frame(block: HeldBlock): Buffer {
  const payload = encode({ start: block.start, blocks: block.blocks.map((b) => new Uint8Array(b)), ...(block.log ? { log: block.log } : {}) })
  const out = Buffer.alloc(4 + payload.length + 32)
  out.writeUInt32BE(payload.length, 0)
  out.set(payload, 4)
  out.set(hash(payload), 4 + payload.length)
  return out
}

async function readRecords(file: string): Promise<{ held: HeldBlock[]; validBytes: number }> {
  let bytes: Buffer
  try {
    const handle = await open(file, 'r')
    try {
      bytes = await handle.readFile()
    } finally {
      await handle.close()
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { held: [], validBytes: 0 }
    throw err
  }
  let held: HeldBlock[] = []
  let at = 0
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(at)
    const end = at + 4 + length + 32
    if (end > bytes.length) break
    const payload = bytes.subarray(at + 4, at + 4 + length)
    if (!Buffer.from(hash(payload)).equals(bytes.subarray(at + 4 + length, end))) break
    held = supersede(held, parse(payload, file))
    at = end
  }
  return { held, validBytes: at }
}

function parse(payload: Uint8Array, file: string): HeldBlock {
  const v = decode(payload) as { start?: unknown; blocks?: unknown; log?: unknown }
  if (!Number.isSafeInteger(v?.start) || !Array.isArray(v.blocks) || !v.blocks.every((b) => b instanceof Uint8Array) || (v.log !== undefined && v.log !== 'keys')) {
    throw new DatabaseError('DATABASE_FORMAT', `${file} holds a record that is not {start, blocks, log?}`)
  }
  return { start: v.start as number, blocks: (v.blocks as Uint8Array[]).map((b) => Buffer.from(b)), ...(v.log === 'keys' ? { log: 'keys' as const } : {}) }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
