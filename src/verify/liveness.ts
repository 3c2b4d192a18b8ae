// Liveness notices (docs/protocol.md §5.4): what a monitor says when the executor stops doing its job
// in a way no signature of its contradicts. An honest executor seals every block in the same append
// as its entries, so entries with no seal after them are an executor that stopped sealing, perhaps
// right after a breach whose proof needs that seal as its anchor. And it acknowledges every op its
// inputs publish, so an op left unacknowledged is an executor that stopped, or one that passes a
// participant over (src/verify/op-watch.ts). None of it is fraud (it has no proof and never makes a
// report invalid), but a monitor must say it, or a breach or a censored participant stays hidden.

import type { OpOverdueNotice } from './op-watch.js'

/** What a monitor reports about liveness: never a breach. */
export type LivenessNotice = SealOverdueNotice | OpOverdueNotice

/** Identifies a notice across passes, so that each is told once (a new kind or position is a new notice). */
export function noticeKey(n: LivenessNotice): string {
  return n.kind === 'seal-overdue' ? `${n.kind}:${n.from}` : `${n.kind}:${n.oplog}:${n.seq}`
}

/** A seal-overdue notice: entries `from` to `length - 1` have stayed unsealed for `waitedMs`. */
export interface SealOverdueNotice {
  kind: 'seal-overdue'
  /** Index position of the first entry no seal covers. */
  from: number
  /** The index length when the notice was made. */
  length: number
  /** When the monitor first saw entry `from` with no seal after it (ISO 8601). */
  since: string
  /** How long the entries have stayed unsealed, in ms (at least the timeout). */
  waitedMs: number
  message: string
}

/** How long entries may stay unsealed before a monitor reports them, by default. */
export const DEFAULT_SEAL_TIMEOUT_MS = 30_000

/** The unsealed tail a monitor has seen: where it starts and since when (ms since 1970). */
export interface UnsealedTail {
  from: number
  since: number
}

/** Follows the unsealed tail of an index log across passes (and, through a checkpoint, across runs). */
export class SealWatch {
  private tail: UnsealedTail | null

  constructor(
    readonly timeoutMs: number,
    saved: UnsealedTail | null = null,
  ) {
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) throw new RangeError(`the seal timeout must be a whole number of ms >= 0, got ${String(timeoutMs)}`)
    this.tail = saved
  }

  /** What to keep in a checkpoint. */
  get unsealed(): UnsealedTail | null {
    return this.tail
  }

  /**
   * Notes that the log is `length` long and that its entries before `sealedEnd` are sealed; returns
   * a notice when the entries after that have stayed unsealed for the timeout or longer.
   */
  observe(sealedEnd: number, length: number, now: number): SealOverdueNotice | null {
    if (sealedEnd >= length) {
      this.tail = null
      return null
    }
    // A tail that starts elsewhere (a new seal covered part of it) is a new tail: its clock starts now.
    if (this.tail?.from !== sealedEnd) this.tail = { from: sealedEnd, since: now }
    const waitedMs = Math.max(0, now - this.tail.since)
    if (waitedMs < this.timeoutMs) return null
    const count = length - sealedEnd
    return {
      kind: 'seal-overdue',
      from: sealedEnd,
      length,
      since: new Date(this.tail.since).toISOString(),
      waitedMs,
      message: `${count} index ${count === 1 ? 'entry' : 'entries'} from #${sealedEnd} on ${count === 1 ? 'is' : 'are'} not sealed after ${waitedMs} ms (timeout ${this.timeoutMs} ms): the executor has stopped sealing, and nothing in them can be proven until it does`,
    }
  }

  /** Ms until the tail seen becomes overdue (0: already), or null when there is none. */
  dueIn(now: number): number | null {
    return this.tail === null ? null : Math.max(0, this.tail.since + this.timeoutMs - now)
  }
}
