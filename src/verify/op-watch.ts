// Ops left unacknowledged (docs/protocol.md §5.4): an input's oplog holds an op the index has not
// acknowledged for longer than the monitor's op timeout. The evidence is what a third party can
// check: the oplog's head when the monitor first saw the op (signed by the participant), and the
// index heads then and now (signed by the executor). Which notice it is says what the executor did
// meanwhile: nothing at all (`executor-silent`), acknowledged other participants' ops
// (`participant-starved`: the op's author is passed over), or neither (`op-overdue`).

import type { SignedRoot } from './breach.js'

export type OpNoticeKind = 'op-overdue' | 'participant-starved' | 'executor-silent'

export interface OpOverdueNotice {
  kind: OpNoticeKind
  /** The oplog (hex key) whose op waits. */
  oplog: string
  /** The first op of it the index has not acknowledged. */
  seq: number
  /** Ops of it published and not acknowledged. */
  pending: number
  /** When the monitor first saw op `seq` waiting (ISO 8601). */
  since: string
  waitedMs: number
  evidence: {
    /** The oplog's head when op `seq` was first seen waiting: it holds the op. */
    oplogHead: SignedRoot
    /** The index head then, and now. */
    indexThen: SignedRoot
    indexNow: SignedRoot
    /** Ops of other inputs acknowledged meanwhile, by oplog. */
    ackedSince: Record<string, number>
  }
  message: string
}

/** An op seen waiting: kept across passes and (in the monitor's checkpoint) across runs. */
export interface WaitingOp {
  seq: number
  /** When it was first seen waiting (ms since 1970). */
  since: number
  oplogHead: SignedRoot
  indexHead: SignedRoot
  /** The last seq acknowledged of every input then (-1: none). */
  acked: Record<string, number>
}

/** An active input as the monitor sees it now. */
export interface InputNow {
  oplog: string
  /** The last seq the verified index acknowledged of it (-1: none). */
  lastSeq: number
  head: SignedRoot
}

const short = (key: string) => `${key.slice(0, 8)}…`

/** Follows the ops waiting in each input across passes. */
export class OpWatch {
  private readonly waiting = new Map<string, WaitingOp>()

  constructor(
    readonly timeoutMs: number,
    saved: Record<string, WaitingOp> = {},
  ) {
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) throw new RangeError(`the op timeout must be a whole number of ms >= 0, got ${String(timeoutMs)}`)
    for (const [oplog, w] of Object.entries(saved)) this.waiting.set(oplog, w)
  }

  /** What to keep in a checkpoint. */
  get saved(): Record<string, WaitingOp> {
    return Object.fromEntries(this.waiting)
  }

  /**
   * Notes every active input's head against what the index acknowledged of it; returns a notice for
   * each whose first unacknowledged op has waited the timeout or longer. The clock of an input starts
   * again whenever the index acknowledges one of its ops: an executor that keeps serving a participant,
   * however slowly, is not passing it over.
   */
  observe(inputs: readonly InputNow[], index: SignedRoot, now: number): OpOverdueNotice[] {
    const acked: Record<string, number> = {}
    for (const i of inputs) acked[i.oplog] = i.lastSeq
    const notices: OpOverdueNotice[] = []
    for (const oplog of this.waiting.keys()) if (!(oplog in acked)) this.waiting.delete(oplog)
    for (const input of inputs) {
      const seq = input.lastSeq + 1
      if (input.head.length <= seq) {
        this.waiting.delete(input.oplog)
        continue
      }
      let w = this.waiting.get(input.oplog)
      if (w?.seq !== seq) {
        w = { seq, since: now, oplogHead: input.head, indexHead: index, acked }
        this.waiting.set(input.oplog, w)
      }
      const waitedMs = Math.max(0, now - w.since)
      if (waitedMs < this.timeoutMs) continue
      notices.push(notice(input, w, index, acked, waitedMs, this.timeoutMs))
    }
    return notices
  }

  /** Ms until the next waiting op becomes overdue (0: one is), or null when none waits short of it. */
  dueIn(now: number): number | null {
    let due: number | null = null
    for (const w of this.waiting.values()) {
      const left = w.since + this.timeoutMs - now
      if (left > 0 && (due === null || left < due)) due = left
    }
    return due
  }
}

function notice(input: InputNow, w: WaitingOp, index: SignedRoot, acked: Record<string, number>, waitedMs: number, timeoutMs: number): OpOverdueNotice {
  const ackedSince: Record<string, number> = {}
  for (const [oplog, last] of Object.entries(acked)) {
    const then = w.acked[oplog] ?? -1
    if (oplog !== input.oplog && last > then) ackedSince[oplog] = last - then
  }
  const others = Object.values(ackedSince).reduce((a, b) => a + b, 0)
  const kind: OpNoticeKind = index.length === w.indexHead.length ? 'executor-silent' : others > 0 ? 'participant-starved' : 'op-overdue'
  const pending = input.head.length - w.seq
  const ops = `op ${w.seq} of oplog ${short(input.oplog)}${pending > 1 ? ` and ${pending - 1} after it` : ''}`
  const what =
    kind === 'executor-silent'
      ? `the index has not grown since (length ${index.length}): the executor is silent`
      : kind === 'participant-starved'
        ? `the executor acknowledged ${others} op${others === 1 ? '' : 's'} of other participants meanwhile: this participant is passed over`
        : `the index grew to ${index.length} without acknowledging it`
  return {
    kind,
    oplog: input.oplog,
    seq: w.seq,
    pending,
    since: new Date(w.since).toISOString(),
    waitedMs,
    evidence: { oplogHead: w.oplogHead, indexThen: w.indexHead, indexNow: index, ackedSince },
    message: `${ops} ${pending > 1 ? 'have' : 'has'} waited ${waitedMs} ms unacknowledged (timeout ${timeoutMs} ms); ${what}`,
  }
}
