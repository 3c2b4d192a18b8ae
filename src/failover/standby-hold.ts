// The executor's side of the standby channel (docs/protocol.md §18.2): each block goes to the standby
// before it is appended, and the append waits until the standby answers that it holds it. Without the
// standby the executor waits (the price of never acking an op the standby could lose), and once the
// standby has taken over it answers "fenced" and this executor stops for good before it writes.

import { EventEmitter } from 'node:events'
import { DatabaseError } from '../errors.js'
import type { ExecutorEnd, StandbyChannels, ToExecutor } from './standby-channel.js'

/** How often an executor with nothing to forward tells its standby it is alive. */
export const PING_MS = 1_000

/** A block that has waited this long for its standby is reported (`waiting`), once. */
export const WAIT_WARNING_MS = 5_000

interface Waiting {
  since: number
  reported?: boolean
  log?: 'keys'
  start: number
  end: number
  blocks: string[]
  resolve(): void
  reject(err: Error): void
}

/**
 * Emits `connected` and `disconnected` as the standby comes and goes, `refused` (reason) when it
 * will not hold (it is not a standby, or the hello failed), `waiting` (what) when a block has waited
 * WAIT_WARNING_MS for it, and `fenced` (DatabaseError) once.
 */
export class StandbyHold extends EventEmitter {
  private end: ExecutorEnd | null = null
  /** Blocks forwarded and not yet held, oldest first (at most one per log, in practice). */
  private waiting: Waiting[] = []
  private failure: Error | null = null
  /** The standby refused the last forward: it goes again at the next tick. */
  private refused = false
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly channels: StandbyChannels,
    /** The standby's swarm key, hex. */
    private target: string,
    private readonly secretKey: Uint8Array,
  ) {
    super()
    channels.onOpen((end) => this.opened(end))
    channels.onClose((peer) => {
      if (peer !== this.standby || !this.end) return
      this.end = null
      this.emit('disconnected')
    })
    channels.onAnswer((peer, m) => peer === this.standby && this.answered(m))
    this.timer = setInterval(() => this.tick(), PING_MS)
    this.timer.unref()
  }

  get connected(): boolean {
    return this.end !== null
  }

  /** The standby's swarm key, hex. */
  get standby(): string {
    return this.target
  }

  /**
   * Holds the next blocks at another standby (the contract named it, docs/protocol.md §18.4). Each
   * block is held by one standby only, the one its predecessor's state names, so at most one standby
   * may take over at any time. Emits `retargeted` (the new key).
   */
  retarget(standby: string): void {
    if (standby === this.target) return
    this.target = standby
    this.end = null
    this.emit('retargeted', standby)
    const end = this.channels.openEnd(standby)
    if (end) this.opened(end)
  }

  /**
   * Resolves once the standby holds `blocks` at `start` of the index log (or of the keys log, with
   * `log: 'keys'`); the append that waits for it may go on.
   */
  hold(start: number, blocks: readonly Uint8Array[], log?: 'keys'): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<void>((resolve, reject) => {
      const w: Waiting = { since: Date.now(), start, end: start + blocks.length, blocks: blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')), resolve, reject, ...(log ? { log } : {}) }
      this.waiting.push(w)
      this.send(w)
    })
  }

  /** Fails the block waiting, if any: the executor is stopping. */
  close(): void {
    clearInterval(this.timer)
    this.fail(new DatabaseError('STANDBY_CLOSED', 'the database closed while its standby had not yet answered'))
  }

  private opened(end: ExecutorEnd): void {
    if (end.peer !== this.standby) return
    this.end = end
    end.send(this.channels.hello(this.secretKey, end.peer))
    this.emit('connected')
    // Blocks forwarded on a connection that dropped before the answer go again on this one.
    this.forward()
  }

  /** Pings; and a forward the peer refused (a standby still starting, say) goes again. */
  private tick(): void {
    // Writes stall while the standby does not answer: the operator hears of it.
    for (const w of this.waiting) {
      if (w.reported || Date.now() - w.since < WAIT_WARNING_MS) continue
      w.reported = true
      this.emit('waiting', `the ${w.log ?? 'index'} log's block at ${w.start} has waited ${Math.round((Date.now() - w.since) / 1000)} s for the standby${this.end ? '' : ', which is not connected'}; nothing is appended until it holds it`)
    }
    if (this.refused) {
      this.refused = false
      this.forward()
    }
    this.end?.send({ kind: 'ping' })
  }

  private forward(): void {
    for (const w of this.waiting) this.send(w)
  }

  private send(w: Waiting): void {
    this.end?.send({ kind: 'forward', start: w.start, blocks: w.blocks, ...(w.log ? { log: w.log } : {}) })
  }

  private answered(m: ToExecutor): void {
    if (m?.kind === 'held') {
      if (!Number.isSafeInteger(m.end)) return
      const log = m.log === 'keys' ? 'keys' : undefined
      const held = this.waiting.filter((w) => w.log === log && m.end >= w.end)
      this.waiting = this.waiting.filter((w) => !held.includes(w))
      for (const w of held) w.resolve()
    } else if (m?.kind === 'fenced') {
      const err = new DatabaseError('EXECUTOR_FENCED', `the standby ${this.standby.slice(0, 8)}… writes the log now (it took over at length ${Number(m.length)}): this executor stops without appending`)
      this.fail(err)
      this.emit('fenced', err)
    } else if (m?.kind === 'refused') {
      this.refused = true
      this.emit('refused', String(m.reason).slice(0, 300))
    }
  }

  private fail(err: Error): void {
    this.failure ??= err
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) w.reject(this.failure)
  }
}
