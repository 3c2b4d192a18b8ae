// Durable appends for the logs a directory signs (docs/protocol.md §5.2): the index log and a
// confidential database's keys log when it is the executor's, and its own oplogs. A block must be on
// stable storage before anyone sees it: an index length served and then lost in a power loss would
// let the executor sign a fork, and an op acknowledged and then lost would leave an ack without its
// op. Hypercore keeps its logs in RocksDB, whose one way to stable storage is a memtable flush
// (LogStore.flush, several milliseconds). So each append is first written to a journal and
// datasynced (a fraction of a millisecond), and the Hypercore append after it is left unsynced.
//
// Opening the directory appends again whatever the journal holds beyond each log (the same bytes:
// the same tree, the same signatures, so nothing any peer saw changes); the new journal starts only
// after the logs are synced. A journal grown large is compacted the same way: the logs are synced
// first, then the records they hold are dropped. A clean close syncs the logs and removes the
// journal, so a database at rest is its logs alone.

import { rm } from 'node:fs/promises'
import path from 'node:path'
import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import { DatabaseError } from '../errors.js'
import { BlockJournal, readJournal, supersede, type JournalRecord } from './block-journal.js'
import type { RecentBlocks } from './recent-blocks.js'

export const JOURNAL_FILE = 'journal.log'

/** What to do about a journal the logs contradict: the executor must not go on from this directory. */
export const JOURNAL_ADVICE =
  'do not run the executor here (it would sign a second history at lengths peers may have seen): restore the directory from a copy, or take over from a replica that holds the log (README, "A standby executor")'

/** The log a record names (JournalRecord.log): undefined for the index log, 'keys', or an oplog's key. */
export type JournaledLog = string | undefined

/** The blocks kept of an oplog appended through the journal (LogStore.recentAppends). */
export type RecentAppends = (core: Hypercore) => RecentBlocks

/** Finds the core of a log the journal names (null when the directory does not have it open). */
export type LogResolver = (log: JournaledLog) => Hypercore | null

/** The oplogs (by key) the journal in `dir` holds blocks of. */
export async function journaledOplogs(dir: string): Promise<string[]> {
  const logs = (await readJournal(path.join(dir, JOURNAL_FILE))).map((r) => r.log)
  return [...new Set(logs.filter((l): l is string => l !== undefined && l !== 'keys'))]
}

/**
 * Appends what the journal in `dir` holds of `core` (the index log; with `log` the keys log or an
 * oplog's key) beyond its length: the blocks a crash or power loss took from the log after they were
 * journaled. Returns how many blocks went back in. Throws DatabaseError when the journal disagrees
 * with the log (JOURNAL_MISMATCH) or leaves a hole in it (JOURNAL_GAP): the disk lost or changed
 * blocks the journal no longer covers, and appending more would sign a different log.
 */
export async function replayJournal(dir: string, core: Hypercore, log?: string): Promise<number> {
  const what = `${dir}: the ${log === undefined ? 'index' : log === 'keys' ? 'keys' : `oplog ${log.slice(0, 8)}…`} log`
  let appended = 0
  for (const record of await readJournal(path.join(dir, JOURNAL_FILE))) {
    if (record.log !== log) continue
    const have = core.length
    if (record.start > have) {
      throw new DatabaseError('JOURNAL_GAP', `${what} ends at ${have}, but its journal (${JOURNAL_FILE}) goes on from ${record.start}: blocks ${have}–${record.start - 1} are lost; ${JOURNAL_ADVICE}`)
    }
    // What the log already holds of the record must be what was journaled. Blocks it knows of only
    // by a signed length (a peer with the same key, a new executor, went on) cannot be compared.
    for (let i = record.start; i < Math.min(core.contiguousLength, record.start + record.blocks.length); i++) {
      const stored = await core.get(i, { wait: false })
      if (!stored || !Buffer.from(stored).equals(record.blocks[i - record.start])) {
        throw new DatabaseError('JOURNAL_MISMATCH', `${what} holds at ${i} a block other than the one its journal (${JOURNAL_FILE}) wrote there; nothing was appended; ${JOURNAL_ADVICE}`)
      }
    }
    const tail = record.blocks.slice(have - record.start)
    if (tail.length === 0) continue
    await core.append(tail)
    appended += tail.length
  }
  return appended
}

interface Batch {
  blocks: Buffer[]
  waiters: { count: number; resolve(r: { length: number }): void; reject(err: Error): void }[]
}

export class AppendJournal {
  private records: JournalRecord[] = []
  /** Records asked for while others are written: they go in together next, with one sync. */
  private pending: { record: JournalRecord; resolve(): void; reject(err: Error): void }[] = []
  private writing: Promise<void> | null = null
  /** Appends to one oplog waiting for the one in flight: they go in together, as one record. */
  private readonly batches = new Map<Hypercore, Batch>()
  private readonly draining = new Map<Hypercore, Promise<void>>()
  /** Wakes a drain waiting for its append in flight: a new batch is there to journal meanwhile. */
  private readonly wakers = new Map<Hypercore, () => void>()
  /** The cores of the oplogs appended through `append`, by key. */
  private readonly oplogs = new Map<string, Hypercore>()

  private constructor(
    private readonly journal: BlockJournal,
    /** The index log and keys log, when this directory is the executor's. */
    private readonly executorLogs: LogResolver,
    /** Syncs the logs to stable storage (before records they hold are dropped). */
    private readonly flush: () => Promise<void>,
    /** Where an oplog's appended blocks are kept for a reader in this process (LogStore.recentAppends). */
    private readonly recentAppends: RecentAppends | null,
  ) {}

  /**
   * The journal in `dir`, once `replayJournal` has put back what the last one held: the logs are
   * synced, so the old records are dropped and a new journal begins.
   */
  static async start(dir: string, flush: () => Promise<void>, opts: { executorLogs?: LogResolver; compactBytes?: number; recentAppends?: RecentAppends } = {}): Promise<AppendJournal> {
    await flush()
    const file = path.join(dir, JOURNAL_FILE)
    await rm(file, { force: true })
    const { log } = await BlockJournal.open(file, opts)
    return new AppendJournal(log, opts.executorLogs ?? (() => null), flush, opts.recentAppends ?? null)
  }

  /**
   * Resolves once the blocks about to be appended at `start` of a log are on stable storage; the
   * caller appends them next, and nothing else appends to that log meanwhile (the executor's
   * `beforeAppend`, one append at a time). Records asked for while others are being written share
   * the next write and sync, whichever logs they are of.
   */
  hold(start: number, blocks: readonly Buffer[], log?: string): Promise<void> {
    const record: JournalRecord = { start, blocks: [...blocks], ...(log !== undefined ? { log } : {}) }
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject })
      this.startWriting()
    })
  }

  private startWriting(): void {
    if (this.writing) return
    this.writing = this.writeAll().finally(() => {
      this.writing = null
      // Asked for after the loop ended but before this ran: nobody else starts a writer for it.
      if (this.pending.length > 0) this.startWriting()
    })
  }

  /**
   * Appends `blocks` to `core` (an oplog this directory signs), journaled first. Appends that arrive
   * while one is in flight share the next record and the next Hypercore append. Resolves with the
   * log's length once the blocks are in, like Hypercore's append.
   */
  append(core: Hypercore, blocks: readonly Buffer[]): Promise<{ length: number }> {
    return new Promise((resolve, reject) => {
      let batch = this.batches.get(core)
      if (!batch) this.batches.set(core, (batch = { blocks: [], waiters: [] }))
      batch.blocks.push(...blocks)
      batch.waiters.push({ count: blocks.length, resolve, reject })
      if (!this.draining.has(core)) this.draining.set(core, this.drain(core))
      else this.wakers.get(core)?.()
    })
  }

  /**
   * Syncs the logs and removes the journal. If the sync fails the journal stays, and the next open
   * puts back what it holds: closing goes on either way.
   */
  async close(): Promise<void> {
    await Promise.all(this.draining.values())
    await this.writing
    const synced = await this.flush().then(
      () => true,
      () => false,
    )
    await this.journal.close()
    if (synced) await rm(this.journal.file, { force: true })
  }

  /**
   * Appends the batches of `core` in order, two at a time: one journaled while the one before it is
   * being appended to the log, so a call that arrives during an append waits for that append, not
   * for that append and then a whole journal write and sync of its own. A batch is appended only
   * once it is journaled and the one before it is in the log; if that one's append failed, the
   * batch would land somewhere other than its record says, so it fails too.
   */
  private async drain(core: Hypercore): Promise<void> {
    const key = toHex(core.key)
    this.oplogs.set(key, core)
    const recent = this.recentAppends?.(core) ?? null
    // The batch being appended to the log (it settles its own waiters and never rejects).
    let appending: Promise<void> | null = null
    // Where the next batch starts: the log's length once the append in flight is in.
    let next = core.length
    // After a failed append the journal may hold blocks no caller was told are in (that batch's, and
    // the next one's, journaled meanwhile): a record of none from `at` on supersedes them
    // (block-journal.ts), so a restart does not put them in after all, nor find a record past a hole.
    const dropFrom = (at: number) => void this.hold(at, [], key).catch(() => {})
    try {
      for (;;) {
        const batch = this.batches.get(core)
        if (!batch) {
          if (!appending) break
          // Until the append in flight is in, or a new batch comes to be journaled meanwhile.
          const inFlight: Promise<void> = appending
          await new Promise<void>((resolve) => {
            this.wakers.set(core, resolve)
            void inFlight.then(resolve)
          })
          this.wakers.delete(core)
          continue
        }
        this.batches.delete(core)
        const start = next
        const held = await this.hold(start, batch.blocks, key).then(
          () => null,
          (err: Error) => err,
        )
        if (appending) await appending
        appending = null
        const failed = held ?? (core.length === start ? null : new Error(`the append to oplog ${key.slice(0, 8)}… before these blocks failed`))
        if (failed) {
          for (const w of batch.waiters) w.reject(failed)
          next = core.length
          dropFrom(next)
          continue
        }
        // Kept before the append: its 'append' event may start the executor reading them at once.
        // Nothing reads past the log's length, and a failed append takes them back.
        recent?.add(start, batch.blocks)
        next = start + batch.blocks.length
        const current: Promise<void> = core.append(batch.blocks).then(
          ({ length }) => {
            let end = length - batch.blocks.length
            for (const w of batch.waiters) w.resolve({ length: (end += w.count) })
          },
          (err: Error) => {
            recent?.truncate(start)
            for (const w of batch.waiters) w.reject(err)
            dropFrom(start)
          },
        )
        appending = current
        void current.then(() => {
          if (appending === current) appending = null
        })
      }
    } finally {
      this.draining.delete(core)
    }
  }

  /** Writes what is pending, in the order it was asked for, until nothing is. */
  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      try {
        if (this.journal.large) await this.compact()
        await this.journal.appendAll(batch.map((p) => p.record))
        for (const p of batch) this.records = supersede(this.records, p.record)
      } catch (err) {
        for (const p of batch) p.reject(err as Error)
        continue
      }
      for (const p of batch) p.resolve()
    }
  }

  /** Syncs the logs, then keeps only the records of blocks that were not in them when the sync began. */
  private async compact(): Promise<void> {
    const lengths = new Map(this.records.map((r) => [r.log, this.coreOf(r.log)?.length ?? 0]))
    await this.flush()
    const keep = this.records.flatMap((r) => {
      const have = lengths.get(r.log) ?? 0
      return r.start + r.blocks.length > have ? [{ ...r, start: Math.max(r.start, have), blocks: r.blocks.slice(Math.max(0, have - r.start)) }] : []
    })
    await this.journal.compact(keep)
    this.records = keep
  }

  private coreOf(log: JournaledLog): Hypercore | null {
    return log === undefined || log === 'keys' ? this.executorLogs(log) : (this.oplogs.get(log) ?? null)
  }
}
