// Where a party's roots come from (docs/protocol.md §13.4). An honest challenger re-executes the
// history itself and keeps whatever roots the contract gives (ReplayedRoots); a defender standing by
// the executor's log answers the roots the executor signed into its entries (SignedRoots). Either
// can build the final step from its own state at the agreed length.

import { toHex } from '../codec/hash.js'
import { decodeEntry } from '../codec/messages.js'
import { Replay, type ReplayFork, type ReplayLogs } from '../verify/replay.js'
import { DisputeError } from './messages.js'
import { buildStep, type StepProof } from './step.js'

export interface RootOracle {
  /** The state root after the first `length` entries, hex. */
  rootAt(length: number): Promise<string>
  /** The step for entry `lo` from this party's state at `lo`, or null when that state's root is not `loRoot`. */
  step(lo: number, loRoot: string, anchorLength: number): Promise<StepProof | null>
  dispose(): void
}

/** Replays in fork mode: every op recomputed and kept, so roots past a breach are the contract's, not the log's. */
const RECOMPUTE: ReplayFork = { contract: '', extraInputs: [], onStep: () => {} }

/**
 * The roots the contract gives, from `from` on: the log folded to `from` (entries this party has
 * verified), then every entry re-executed. Roots are kept as the replay passes them, so a game's
 * questions cost one pass over the range, plus one to the step.
 */
export class ReplayedRoots implements RootOracle {
  private replay: Replay | null = null
  /** Roots at lengths from, from+1, …, 32 bytes each. */
  private roots = new Uint8Array(32 * 1024)
  private count = 0

  constructor(
    private readonly logs: ReplayLogs,
    readonly from: number,
  ) {}

  async rootAt(length: number): Promise<string> {
    if (!Number.isSafeInteger(length) || length < this.from) throw new DisputeError('DISPUTE_RANGE', `length ${length} is before ${this.from}, where this party's roots start`)
    this.replay ??= await this.start()
    while (this.from + this.count <= length) {
      if (this.count > 0) await this.advance(this.replay)
      this.keep(this.replay.view.state.root())
    }
    return toHex(this.roots.subarray(32 * (length - this.from), 32 * (length - this.from + 1)))
  }

  async step(lo: number, loRoot: string, anchorLength: number): Promise<StepProof | null> {
    const replay = await this.start()
    try {
      while (replay.position < lo) await this.advance(replay)
      if (toHex(replay.view.state.root()) !== loRoot) return null
      return await buildStep(this.logs, anchorLength, lo, replay.view.state)
    } finally {
      replay.dispose()
    }
  }

  dispose(): void {
    this.replay?.dispose()
    this.replay = null
  }

  private async start(): Promise<Replay> {
    const replay = new Replay(this.logs, RECOMPUTE)
    await replay.resumeAt(this.from)
    if (!replay.genesisDone) {
      replay.dispose()
      throw new DisputeError('DISPUTE_RANGE', `length ${this.from} is inside genesis: a dispute starts after the genesis entries`)
    }
    return replay
  }

  private async advance(replay: Replay): Promise<void> {
    const notice = await replay.verifyNext()
    if (notice) {
      throw new DisputeError('HISTORY_BROKEN', `entry ${notice.seq} breaks the log itself (${notice.class}: ${notice.message}); no root is in question there, the breach has its own notice`)
    }
  }

  private keep(root: Uint8Array): void {
    if (32 * (this.count + 1) > this.roots.length) {
      const grown = new Uint8Array(this.roots.length * 2)
      grown.set(this.roots)
      this.roots = grown
    }
    this.roots.set(root, 32 * this.count++)
  }
}

/** The roots the executor signed: the state root of the entry before each length (an op's or a seal's). */
export class SignedRoots implements RootOracle {
  constructor(private readonly logs: ReplayLogs) {}

  async rootAt(length: number): Promise<string> {
    if (!Number.isSafeInteger(length) || length < 1) throw new DisputeError('DISPUTE_RANGE', `no entry precedes length ${length}`)
    const bytes = await this.logs.index.get(length - 1)
    if (!bytes) throw new DisputeError('DISPUTE_RANGE', `index entry ${length - 1} is not available`)
    const entry = decodeEntry(bytes)
    if (entry.type !== 'op' && entry.type !== 'seal') throw new DisputeError('DISPUTE_RANGE', `entry ${length - 1} is a ${entry.type} entry: it signs no state root`)
    return toHex(entry.stateRoot)
  }

  /** The log's own state at `lo` (its changes folded), if the executor's root there is that state's. */
  async step(lo: number, loRoot: string, anchorLength: number): Promise<StepProof | null> {
    const replay = new Replay(this.logs)
    try {
      await replay.resumeAt(lo)
      if (toHex(replay.view.state.root()) !== loRoot) return null
      return await buildStep(this.logs, anchorLength, lo, replay.view.state)
    } finally {
      replay.dispose()
    }
  }

  dispose(): void {}
}
