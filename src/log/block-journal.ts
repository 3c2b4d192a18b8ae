// A journal of blocks to be appended to a log, on stable storage: an append-only file of records,
// each `u32 length | payload | BLAKE2b-256(payload)` with payload the canonical encoding of
// `{start, blocks, log?}` (no `log`: the index log; `"keys"`: a confidential database's keys log;
// 64 hex digits: the oplog with that key). One write and one
// datasync per record; no rename, no directory sync. A torn last record (a crash mid-append) is
// dropped on reading: whoever wrote it was never told it was durable.
//
// Two parts of Glassbox keep one: the executor, whose appends are durable once journaled (the
// Hypercore write after it is not synced, docs/protocol.md §5.2), and a standby, which holds the
// blocks the executor forwards (§18.1). Either drops records only once the log holds their blocks
// *on stable storage*: compaction syncs the log first, then rewrites the file without them.

import { open, rename, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { decode, encode } from '../codec/canonical.js'
import { hash } from '../codec/hash.js'
import { DatabaseError } from '../errors.js'

/** Blocks of one log from `start` on (one append). */
export interface JournalRecord<Log extends string = string> {
  start: number
  blocks: Buffer[]
  /** Absent: the index log; 'keys': a confidential database's keys log (§17.3); else an oplog's key (hex). */
  log?: Log
}

const LOG_NAME = /^(keys|[0-9a-f]{64})$/

/** Rewrite the file once it is this large and the log has caught up with some of it. */
const COMPACT_BYTES = 16 * 1024 * 1024

export class BlockJournal {
  private size = 0

  private constructor(
    readonly file: string,
    private handle: FileHandle,
    private readonly compactBytes: number,
  ) {}

  /** Opens (or makes) `file`, and the records it holds, in the order they were written. */
  static async open(file: string, opts: { compactBytes?: number } = {}): Promise<{ log: BlockJournal; records: JournalRecord[] }> {
    const { records, validBytes } = await readRecords(file)
    const handle = await open(file, 'a+')
    // A torn tail is cut, so the next record starts where the valid ones end.
    await handle.truncate(validBytes)
    const log = new BlockJournal(file, handle, opts.compactBytes ?? COMPACT_BYTES)
    log.size = validBytes
    return { log, records }
  }

  /** Adds a record and syncs it: once this resolves, the blocks survive a power loss. */
  async append(block: JournalRecord): Promise<void> {
    await this.appendAll([block])
  }

  /** Adds records with one write and one sync (a group commit): once this resolves, all of them survive. */
  async appendAll(blocks: readonly JournalRecord[]): Promise<void> {
    const bytes = blocks.length === 1 ? frame(blocks[0]) : Buffer.concat(blocks.map(frame))
    await this.handle.write(bytes, 0, bytes.length, this.size)
    await this.sync()
    this.size += bytes.length
  }

  /** The datasync that makes a record durable (its own method so that a benchmark can price it). */
  async sync(): Promise<void> {
    await this.handle.datasync()
  }

  /** Whether the file is large enough for `compact` to be worth its syncs. */
  get large(): boolean {
    return this.size > this.compactBytes
  }

  /** Rewrites the file with `keep` only (the caller synced the log that holds the rest). */
  async compact(keep: readonly JournalRecord[]): Promise<void> {
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
 * The records in `file`, each superseding what earlier ones held of its log from its start on (an
 * executor that restarted writes again from where its log really ends). Empty when there is no file.
 */
export async function readJournal(file: string): Promise<JournalRecord[]> {
  return (await readRecords(file)).records
}

/** Applies a new record to the list: it replaces whatever was held of its log from its start on. */
export function supersede(held: readonly JournalRecord[], block: JournalRecord): JournalRecord[] {
  const kept: JournalRecord[] = []
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

function frame(block: JournalRecord): Buffer {
  const payload = encode({ start: block.start, blocks: block.blocks.map((b) => new Uint8Array(b)), ...(block.log ? { log: block.log } : {}) })
  const out = Buffer.alloc(4 + payload.length + 32)
  out.writeUInt32BE(payload.length, 0)
  out.set(payload, 4)
  out.set(hash(payload), 4 + payload.length)
  return out
}

async function readRecords(file: string): Promise<{ records: JournalRecord[]; validBytes: number }> {
  let bytes: Buffer
  try {
    const handle = await open(file, 'r')
    try {
      bytes = await handle.readFile()
    } finally {
      await handle.close()
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], validBytes: 0 }
    throw err
  }
  let records: JournalRecord[] = []
  let at = 0
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(at)
    const end = at + 4 + length + 32
    if (end > bytes.length) break
    const payload = bytes.subarray(at + 4, at + 4 + length)
    if (!Buffer.from(hash(payload)).equals(bytes.subarray(at + 4 + length, end))) {
      // Each record is synced before the next is written, so only the last can be torn: a bad
      // record with more after it is a disk that changed what it had made durable.
      if (end < bytes.length) {
        throw new DatabaseError('JOURNAL_CORRUPT', `${file}: the record at byte ${at} does not match its checksum, and records follow it: the file was damaged, not cut short by a crash`)
      }
      break
    }
    records = supersede(records, parse(payload, file))
    at = end
  }
  return { records, validBytes: at }
}

function parse(payload: Uint8Array, file: string): JournalRecord {
  const v = decode(payload) as { start?: unknown; blocks?: unknown; log?: unknown }
  if (!Number.isSafeInteger(v?.start) || !Array.isArray(v.blocks) || !v.blocks.every((b) => b instanceof Uint8Array) || (v.log !== undefined && (typeof v.log !== 'string' || !LOG_NAME.test(v.log)))) {
    throw new DatabaseError('DATABASE_FORMAT', `${file} holds a record that is not {start, blocks, log?}`)
  }
  return { start: v.start as number, blocks: (v.blocks as Uint8Array[]).map((b) => Buffer.from(b)), ...(v.log !== undefined ? { log: v.log as string } : {}) }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
