// A standby (docs/protocol.md §18): a replica that holds the executor's key pair, takes each block
// the executor forwards before its append, and takes over when the executor has been silent too long.
// What it holds is its replica of the index log plus the blocks forwarded beyond it ("pending"),
// kept on stable storage before it answers "held": since the executor appends nothing the standby
// does not hold, every entry any peer may have seen (every acked op) is in one of the two.

import { EventEmitter } from 'node:events'
import type Hypercore from 'hypercore'
import { decodeEntry, type IndexEntry } from '../codec/messages.js'
import { DatabaseError } from '../errors.js'
import { HeldLog, supersede, type HeldBlock } from './held-log.js'
import type { StandbyResponder, ToExecutor, ToStandby } from './standby-channel.js'

export type { HeldBlock } from './held-log.js'

export interface StandbyOptions {
  /** Take over after this long without a word from the executor, in ms. */
  takeoverAfterMs: number
  /** Forwarded blocks above which the standby refuses more (a bound on what an executor can pile up). */
  maxPendingBytes?: number
}

const MAX_PENDING_BYTES = 256 * 1024 * 1024

/** Emits `silent` once the executor said nothing for `takeoverAfterMs`, and `held` ({end}) on each answer. */
export class Standby extends EventEmitter implements StandbyResponder {
  /** What the held-blocks file holds (failover/held-log.ts), in order. */
  private held: HeldBlock[] = []
  /** Set when the silence timer fires, cleared by the next word: `silent` agrees with the event. */
  private quiet = false
  private fencedAt: number | null = null
  private timer: NodeJS.Timeout | null = null
  /** Forwards are handled one at a time, in the order they came. */
  private queue: Promise<void> = Promise.resolve()
  private closing = false
  /** Resolves once the standby stops holding (fenced or closing): every wait races it. */
  private readonly stopSignal: Promise<void>
  private signalStop!: () => void

  private constructor(
    private readonly index: Hypercore,
    /** A confidential database's keys log, which the executor also writes (§17.3); else null. */
    private readonly keysLog: Hypercore | null,
    private readonly log: HeldLog,
    private readonly opts: StandbyOptions,
    /** Syncs the replica's logs to stable storage (before held blocks it covers are dropped). */
    private readonly flush: () => Promise<void>,
    /** An oplog by its key, to fetch the ops a block acknowledges. */
    private readonly oplog: (pubkey: string) => Promise<Hypercore>,
    /** Resolves once the ops acknowledged before the standby started are here. */
    private readonly backfill: Promise<void>,
  ) {
    super()
    this.stopSignal = new Promise((resolve) => (this.signalStop = resolve))
  }

  /** A standby for the replica `index` in `dir`, with the blocks it held before a restart. */
  static async open(
    index: Hypercore,
    keysLog: Hypercore | null,
    dir: string,
    opts: StandbyOptions,
    logs: { flush: () => Promise<void>; oplog: (pubkey: string) => Promise<Hypercore>; backfill: Promise<void> },
  ): Promise<Standby> {
    const { log, held } = await HeldLog.open(dir)
    const standby = new Standby(index, keysLog, log, opts, logs.flush, logs.oplog, logs.backfill)
    standby.held = held
    standby.heard()
    return standby
  }

  /** Where a log is known to reach: the replica, then the forwarded blocks that follow on from it. */
  knownLength(log?: 'keys'): number {
    let end = this.core(log).length
    for (const p of this.held) {
      if (p.log !== log) continue
      if (p.start > end) break
      end = Math.max(end, p.start + p.blocks.length)
    }
    return end
  }

  private core(log?: 'keys'): Hypercore {
    return log === 'keys' ? this.keysLog! : this.index
  }

  fromExecutor(_peer: string, m: ToStandby, reply: (answer: ToExecutor) => void): void {
    this.heard()
    if (this.fencedAt !== null) return reply({ kind: 'fenced', length: this.fencedAt })
    if (m.kind !== 'forward') return
    const { start, blocks } = m
    const log = m.log === undefined ? undefined : m.log === 'keys' && this.keysLog ? ('keys' as const) : null
    if (!Number.isSafeInteger(start) || start < 0 || !Array.isArray(blocks) || blocks.length === 0 || !blocks.every((b) => typeof b === 'string') || log === null) {
      return reply({ kind: 'refused', reason: 'a forward names a start, one block or more (base64), and a log this database has' })
    }
    this.queue = this.queue.then(() => this.hold({ start, blocks: blocks.map((b) => Buffer.from(b, 'base64')), ...(log ? { log } : {}) }, reply)).catch((err: Error) => {
      reply({ kind: 'refused', reason: `could not hold the block: ${err.message}` })
    })
  }

  private async hold(block: HeldBlock, reply: (answer: ToExecutor) => void): Promise<void> {
    // A forward that waited in the queue while the standby was fenced is not held.
    if (this.fencedAt !== null) return reply({ kind: 'fenced', length: this.fencedAt })
    if (this.closing) return
    // A block forwarded again at a position held already replaces what was forwarded from there:
    // the executor restarted and had not appended it (it appends nothing before this answer).
    const held = supersede(this.held, block)
    const bytes = held.reduce((n, h) => n + (h.start + h.blocks.length > this.core(h.log).length ? h.blocks.reduce((m, b) => m + b.length, 0) : 0), 0)
    if (bytes > (this.opts.maxPendingBytes ?? MAX_PENDING_BYTES)) return reply({ kind: 'refused', reason: 'too many forwarded blocks are not yet in the replica' })
    await this.log.append(block)
    this.held = held
    // Held once nothing is missing before it: a standby that starts late waits for its replica.
    const end = block.start + block.blocks.length
    while (this.knownLength(block.log) < end && !this.stopped) await this.replicaGrows(this.core(block.log))
    // ...and once the ops the block acknowledges are here too: the executor's own oplogs die with it,
    // and a log whose acked ops no one holds could no longer be verified.
    if (!block.log) await this.fetchOps(block.blocks)
    if (this.fencedAt !== null) return reply({ kind: 'fenced', length: this.fencedAt })
    if (this.closing) return
    reply({ kind: 'held', end, ...(block.log ? { log: block.log } : {}) })
    this.emit('held', { end, ...(block.log ? { log: block.log } : {}) })
    if (this.log.large) await this.compact()
  }

  /** Fetches every op the entries acknowledge (stopping early if the standby stops). */
  private async fetchOps(blocks: readonly Buffer[]): Promise<void> {
    // One range per oplog: asked block by block, a full block's ops cost a round trip each.
    const ranges = new Map<string, { start: number; end: number }>()
    for (const bytes of blocks) {
      let entry: IndexEntry
      try {
        entry = decodeEntry(bytes)
      } catch {
        continue // not an entry this version reads: the verifiers will say so
      }
      if (entry.type !== 'op') continue
      const { origin, seq } = entry.ack
      const r = ranges.get(origin)
      ranges.set(origin, r ? { start: Math.min(r.start, seq), end: Math.max(r.end, seq + 1) } : { start: seq, end: seq + 1 })
    }
    const wanted = [this.backfill, ...[...ranges].map(([origin, range]) => this.oplog(origin).then((core) => core.download(range).done()))]
    await Promise.race([Promise.all(wanted), this.stopSignal])
  }

  /** Resolves when the replica grows, or the standby stops holding (fenced or closed). */
  private replicaGrows(core: Hypercore): Promise<void> {
    let done = () => {}
    const grown = new Promise<void>((resolve) => {
      done = () => resolve()
      core.once('append', done)
    })
    return Promise.race([grown, this.stopSignal]).finally(() => core.off('append', done))
  }

  /** Whether the standby has stopped holding: fenced, or closing. */
  private get stopped(): boolean {
    return this.fencedAt !== null || this.closing
  }

  /** Drops the records the replica holds on stable storage (synced here first). */
  private async compact(): Promise<void> {
    const lengths = { index: this.index.length, keys: this.keysLog?.length ?? 0 }
    await this.flush()
    this.held = this.held.filter((h) => h.start + h.blocks.length > lengths[h.log ?? 'index'])
    await this.log.compact(this.held)
  }

  /** Whether the executor has said nothing for `takeoverAfterMs`. */
  get silent(): boolean {
    return this.fencedAt === null && this.quiet
  }

  /** The index log's blocks held at positions from `from` on, by position (a later forward supersedes an earlier one). */
  heldIndexAt(from: number): Map<number, Buffer> {
    const out = new Map<number, Buffer>()
    for (const h of this.held) {
      if (h.log !== undefined) continue
      h.blocks.forEach((b, i) => {
        if (h.start + i >= from) out.set(h.start + i, b)
      })
    }
    return out
  }

  /** The executor said something: it is alive for another `takeoverAfterMs`. */
  private heard(): void {
    if (this.fencedAt !== null) return
    this.quiet = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.quiet = true
      this.emit('silent')
    }, this.opts.takeoverAfterMs)
    this.timer.unref()
  }

  /**
   * Stops holding: from now on every forward is answered "fenced", so the old executor appends
   * nothing more. Returns the blocks to append, in order, from the replica's length on.
   */
  fence(): void {
    this.fencedAt = this.knownLength()
    if (this.timer) clearTimeout(this.timer)
    this.signalStop()
  }

  /** Resolves once a forward being held when the fence came is done (held, or refused): what is held is then final. */
  async settled(): Promise<void> {
    await this.queue
  }

  async close(): Promise<void> {
    this.closing = true
    if (this.timer) clearTimeout(this.timer)
    this.signalStop()
    await this.queue
    await this.log.close()
  }
}

/** The held blocks of `log` that a log of `length` lacks, contiguous from `length`; TAKEOVER_GAP when some are missing. */
export function heldBeyond(held: readonly HeldBlock[], length: number, log?: 'keys'): HeldBlock[] {
  const out: HeldBlock[] = []
  let end = length
  for (const p of held) {
    if (p.log !== log || p.start + p.blocks.length <= end) continue
    if (p.start > end) throw new DatabaseError('TAKEOVER_GAP', `the standby holds blocks of its ${log ?? 'index'} log from ${p.start} but that log ends at ${end}: it cannot take over without the entries between`)
    out.push({ ...p, start: end, blocks: p.blocks.slice(end - p.start) })
    end = p.start + p.blocks.length
  }
  return out
}
