// A standby (docs/protocol.md §18): a replica that holds the executor's key pair, takes each block
// the executor forwards before its append, and takes over when the executor has been silent too long.
// What it holds is its replica of the index log plus the blocks forwarded beyond it ("pending"),
// kept on stable storage before it answers "held": since the executor appends nothing the standby
// does not hold, every entry any peer may have seen (every acked op) is in one of the two.

import { EventEmitter } from 'node:events'
import { open, rename } from 'node:fs/promises'
import path from 'node:path'
import type Hypercore from 'hypercore'
import { readJsonFile } from '../log/json-file.js'
import { DatabaseError } from '../errors.js'
import type { StandbyResponder, ToExecutor, ToStandby } from './standby-channel.js'

export const PENDING_FILE = 'standby-pending.json'
const PENDING_FORMAT = 'glassbox-standby/1'

/** Blocks forwarded, not yet in the replica: each is one append of the executor, at `start`. */
export interface PendingBlock {
  start: number
  blocks: Buffer[]
}

export interface StandbyOptions {
  /** Take over after this long without a word from the executor, in ms. */
  takeoverAfterMs: number
  /** Forwarded blocks above which the standby refuses more (a bound on what an executor can pile up). */
  maxPendingBytes?: number
}

const MAX_PENDING_BYTES = 256 * 1024 * 1024

/** Emits `silent` once the executor said nothing for `takeoverAfterMs`, and `held` ({end}) on each answer. */
export class Standby extends EventEmitter implements StandbyResponder {
  private pending: PendingBlock[] = []
  private fencedAt: number | null = null
  private timer: NodeJS.Timeout | null = null
  /** Forwards are handled one at a time, in the order they came. */
  private queue: Promise<void> = Promise.resolve()
  private readonly onAppend = () => this.prune()

  private constructor(
    private readonly index: Hypercore,
    private readonly dir: string,
    private readonly opts: StandbyOptions,
  ) {
    super()
  }

  /** A standby for the replica `index` in `dir`, with the blocks it held before a restart. */
  static async open(index: Hypercore, dir: string, opts: StandbyOptions): Promise<Standby> {
    const standby = new Standby(index, dir, opts)
    standby.pending = await readPending(dir, index.key)
    standby.prune()
    index.on('append', standby.onAppend)
    standby.heard()
    return standby
  }

  /** Where the log is known to reach: the replica, then the forwarded blocks that follow on from it. */
  get knownLength(): number {
    let end = this.index.length
    for (const p of this.pending) {
      if (p.start > end) break
      end = Math.max(end, p.start + p.blocks.length)
    }
    return end
  }

  fromExecutor(_peer: string, m: ToStandby, reply: (answer: ToExecutor) => void): void {
    this.heard()
    if (this.fencedAt !== null) return reply({ kind: 'fenced', length: this.fencedAt })
    if (m.kind !== 'forward') return
    const { start, blocks } = m
    if (!Number.isSafeInteger(start) || start < 0 || !Array.isArray(blocks) || blocks.length === 0 || !blocks.every((b) => typeof b === 'string')) {
      return reply({ kind: 'refused', reason: 'a forward names a start and one block or more, base64' })
    }
    this.queue = this.queue.then(() => this.hold(start, blocks.map((b) => Buffer.from(b, 'base64')), reply)).catch((err: Error) => {
      reply({ kind: 'refused', reason: `could not hold the block: ${err.message}` })
    })
  }

  private async hold(start: number, blocks: Buffer[], reply: (answer: ToExecutor) => void): Promise<void> {
    // A block forwarded again at a position held already replaces what was forwarded from there:
    // the executor restarted and had not appended it (it appends nothing before this answer).
    const kept = this.pending.filter((p) => p.start < start)
    const bytes = kept.reduce((n, p) => n + p.blocks.reduce((m, b) => m + b.length, 0), 0) + blocks.reduce((n, b) => n + b.length, 0)
    if (bytes > (this.opts.maxPendingBytes ?? MAX_PENDING_BYTES)) return reply({ kind: 'refused', reason: 'too many forwarded blocks are not yet in the replica' })
    this.pending = [...kept, { start, blocks }]
    await writePending(this.dir, this.index.key, this.pending)
    // Held once nothing is missing before it: a standby that starts late waits for its replica.
    while (this.knownLength < start + blocks.length) {
      if (this.fencedAt !== null) return reply({ kind: 'fenced', length: this.fencedAt })
      await new Promise((resolve) => this.index.once('append', resolve))
    }
    if (this.fencedAt !== null) return reply({ kind: 'fenced', length: this.fencedAt })
    reply({ kind: 'held', end: start + blocks.length })
    this.emit('held', { end: start + blocks.length })
  }

  /** The executor said something: it is alive for another `takeoverAfterMs`. */
  private heard(): void {
    if (this.fencedAt !== null) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.emit('silent'), this.opts.takeoverAfterMs)
    this.timer.unref()
  }

  private prune(): void {
    const length = this.index.length
    this.pending = this.pending.filter((p) => p.start + p.blocks.length > length)
  }

  /**
   * Stops holding: from now on every forward is answered "fenced", so the old executor appends
   * nothing more. Returns the blocks to append, in order, from the replica's length on.
   */
  fence(): PendingBlock[] {
    this.fencedAt = this.knownLength
    if (this.timer) clearTimeout(this.timer)
    this.index.off('append', this.onAppend)
    const length = this.index.length
    const out: PendingBlock[] = []
    let end = length
    for (const p of this.pending) {
      if (p.start > end) throw new DatabaseError('TAKEOVER_GAP', `the standby holds blocks from ${p.start} but its replica ends at ${end}: it cannot take over without the entries between`)
      const from = end - p.start
      if (from < p.blocks.length) out.push({ start: end, blocks: p.blocks.slice(from) })
      end = Math.max(end, p.start + p.blocks.length)
    }
    return out
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.index.off('append', this.onAppend)
  }
}

/** The forwarded blocks a standby kept in `dir` (none when it kept none). */
export async function readPending(dir: string, key: Uint8Array): Promise<PendingBlock[]> {
  const file = path.join(dir, PENDING_FILE)
  const text = (await readJsonFile(file)) as { format?: unknown; key?: unknown; pending?: unknown } | null
  if (text === null) return []
  if (text.format !== PENDING_FORMAT || text.key !== Buffer.from(key).toString('hex') || !Array.isArray(text.pending)) {
    throw new DatabaseError('DATABASE_FORMAT', `${file} is not a ${PENDING_FORMAT} file of this database`)
  }
  return text.pending.map((p: { start: number; blocks: string[] }) => ({ start: p.start, blocks: p.blocks.map((b) => Buffer.from(b, 'base64')) }))
}

/** Written whole, synced, then renamed over the last one: a crash leaves the old list or the new. */
async function writePending(dir: string, key: Uint8Array, pending: readonly PendingBlock[]): Promise<void> {
  const file = path.join(dir, PENDING_FILE)
  const body = { format: PENDING_FORMAT, key: Buffer.from(key).toString('hex'), pending: pending.map((p) => ({ start: p.start, blocks: p.blocks.map((b) => b.toString('base64')) })) }
  const tmp = file + '.tmp'
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(JSON.stringify(body))
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  // The rename itself is durable only once the directory is synced.
  const folder = await open(dir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}
