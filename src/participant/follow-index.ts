// A participant without the executor follows the index log as peers replicate it (seed 001 §3.4:
// calls run against the synced head). Each new entry is folded into the local view, the contract
// VM is swapped when an entry changes the source, and waiters (acks, proofs) are woken.
// The follower trusts the entries it folds; checking them is the monitor's job.

import type Hypercore from 'hypercore'
import { decodeEntry, SYS } from '../codec/messages.js'
import type { VMHolder } from '../executor/executor.js'
import type { IndexState } from '../state/index-state.js'
import { ContractVM } from '../vm/index.js'

export class IndexFollower {
  private running: Promise<void> | null = null
  private again = false
  private stopped = false
  /** Set while a block is read: it may wait for a peer that never comes. */
  private fetching = false
  private readonly onAppend = () => this.kick()
  /** Every entry past the fold, requested as the log grows (see `start`). */
  private ahead: { destroy(): void } | null = null
  /** Set when an entry could not be folded; the follower stops (the monitor will say why). */
  failure: Error | null = null

  constructor(
    private readonly index: Hypercore,
    private readonly view: IndexState,
    private readonly holder: VMHolder,
    /** Called at each seal folded and at the end of each catch-up that folded entries, with how many since the last call. */
    private readonly onAdvance: (entries: number) => void,
    /** Told each entry folded, with its bytes. */
    private readonly onEntry: (seq: number, bytes: Uint8Array) => void = () => {},
  ) {}

  start(): void {
    this.index.on('append', this.onAppend)
    // Entries are folded one by one, but fetched together: one `get` at a time would cost a round
    // trip to a peer per entry, and at a high rate the follower would fall behind for good. A live
    // range asks for every new entry as soon as a peer announces it; `get` then finds it here.
    this.ahead = this.index.download({ start: this.view.length, end: -1 })
    this.kick()
  }

  /** Resolves once the entries available now are folded. */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.index.off('append', this.onAppend)
    this.ahead?.destroy()
    this.ahead = null
    // A block that no peer serves any more (the executor went away after announcing a length) would
    // hold the close forever: that read fails when the logs close, and nothing is folded after it.
    if (!this.fetching) await this.idle()
  }

  private kick(): void {
    if (this.stopped || this.failure) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.catchUp()
      .catch((err: Error) => {
        if (this.stopped) return
        this.failure = err
        this.onAdvance(0)
      })
      .finally(() => {
        this.running = null
        if (this.again) {
          this.again = false
          this.kick()
        }
      })
  }

  private async catchUp(): Promise<void> {
    // Reported at each seal, where the view is a head the executor signed: while a peer keeps the
    // log growing the loop may not end for long, and the acks it folded must not wait for that.
    let reported = this.view.length
    const report = () => {
      if (this.view.length > reported && !this.stopped) this.onAdvance(this.view.length - reported)
      reported = this.view.length
    }
    while (!this.stopped && this.view.length < this.index.length) {
      this.fetching = true
      let bytes: Uint8Array | null
      try {
        bytes = await this.index.get(this.view.length)
      } finally {
        this.fetching = false
      }
      if (!bytes || this.stopped) break
      const seq = this.view.length
      const entry = decodeEntry(bytes)
      const changes = this.view.fold(entry)
      this.onEntry(seq, bytes)
      for (const c of changes) {
        if (c.key !== SYS.source || c.type !== 'put' || typeof c.value !== 'string') continue
        const previous = this.holder.vm
        this.holder.vm = await ContractVM.create(c.value)
        previous.dispose()
      }
      if (entry.type === 'seal') report()
    }
    report()
  }
}
