// Where the executor's time goes, stage by stage, for benchmarks and `serve` metrics: the next step
// for throughput is the stage that dominates. Stages run on the executor's thread; `waitDurable` is
// time the pipeline stood still for an append and its sync that execution did not cover.

export const STAGES = ['read', 'execute', 'finish', 'seal', 'waitDurable', 'announce'] as const
export type Stage = (typeof STAGES)[number]

export const STAGE_MEANINGS: Record<Stage, string> = {
  read: 'reading ops from oplogs and hashing their trees for the acks',
  execute: 'process() and apply() in the contract VM, with decoding the op',
  finish: 'folding the changes, the state root and encoding the entry',
  seal: "the block's seal: tree hash, accumulator and signature",
  waitDurable: 'waiting for the last block to be appended and synced',
  announce: 'the block event: the state store commit and answering waiters',
}

export class StageTimes {
  ops = 0
  blocks = 0
  readonly ms: Record<Stage, number> = { read: 0, execute: 0, finish: 0, seal: 0, waitDurable: 0, announce: 0 }

  /** Adds the time since `since` (a performance.now() reading) to `stage`; returns now. */
  add(stage: Stage, since: number): number {
    const now = performance.now()
    this.ms[stage] += now - since
    return now
  }

  /** Microseconds per op, per stage. */
  perOp(): Record<Stage, number> {
    const out = {} as Record<Stage, number>
    for (const s of STAGES) out[s] = this.ops > 0 ? (this.ms[s] * 1000) / this.ops : 0
    return out
  }
}
