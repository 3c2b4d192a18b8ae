// The speculative part of the executor's block tree (seed 000: SpeculativeCache): blocks executed
// on top of the committed head whose append has not yet reached stable storage. The executor keeps
// one branch of them: the block being appended and the block being built on it, so that executing
// the next block overlaps the append and sync of the last (docs/architecture.md "The pipeline").
//
// Their effects live in the one view (state map, acks, positions, the last seal, the active VM),
// with what undoes them. Nothing speculative may be seen outside the executor: `committed(fn)` takes
// every speculative block back, runs `fn` on exactly the committed head, and applies them again, all
// synchronously, so no other code runs in between. A block leaves the branch when its append
// resolves (`commitOldest`); a failed append or an op that could not run takes back the newest
// blocks (`dropNewest`), descendants first.

import type { OpEntry, SealEntry } from '../codec/messages.js'
import type { IndexState } from '../state/index-state.js'
import type { Undo } from '../state/memory-state.js'
import type { ContractVM } from '../vm/index.js'
import type { Json } from '../vm/types.js'

/** Holds the VM for the active contract source; the executor swaps it when an entry says so. */
export interface VMHolder {
  vm: ContractVM
}

export interface SpeculativeBlock {
  /** Index position of the block's first entry. */
  readonly start: number
  readonly entries: OpEntry[]
  /** The entries' canonical bytes, then the seal's once the block is sealed: what one append writes. */
  readonly blocks: Buffer[]
  /** What undoes the block's state changes, in order. */
  readonly undo: Undo[]
  /** The last seq acknowledged per oplog before the block, for the oplogs it acknowledged. */
  readonly previousLastSeq: Map<string, number | undefined>
  /** The active VM before the block, and the VMs its source switches created. */
  readonly vmBefore: ContractVM
  readonly vms: ContractVM[]
  /** The last seal before the block. */
  readonly sealBefore: IndexState['lastSeal']
  /** The block's own seal, once it is sealed (folded into the view as its last entry). */
  seal: SealEntry | null
}

export class SpeculativeBlocks {
  /** Oldest first: every block above the committed head. */
  private readonly branch: SpeculativeBlock[] = []

  constructor(
    private readonly view: IndexState,
    private readonly holder: VMHolder,
  ) {}

  get size(): number {
    return this.branch.length
  }

  /** Where the committed head ends: the oldest speculative block's start, else the view's length. */
  get committedLength(): number {
    return this.branch[0]?.start ?? this.view.length
  }

  /** Starts a block on top of the branch (or of the committed head). */
  open(): SpeculativeBlock {
    const block: SpeculativeBlock = {
      start: this.view.length,
      entries: [],
      blocks: [],
      undo: [],
      previousLastSeq: new Map(),
      vmBefore: this.holder.vm,
      vms: [],
      sealBefore: this.view.lastSeal,
      seal: null,
    }
    this.branch.push(block)
    return block
  }

  /** Folds the block's seal into the view: the block is complete and may be appended. */
  seal(block: SpeculativeBlock, seal: SealEntry, bytes: Buffer): void {
    this.view.fold(seal)
    block.seal = seal
    block.blocks.push(bytes)
  }

  /**
   * The oldest block is on stable storage: it leaves the branch and becomes the committed head.
   * VMs it replaced that no later block starts from are disposed.
   */
  commitOldest(): SpeculativeBlock {
    const block = this.branch.shift()
    if (!block) throw new Error('no speculative block to commit')
    const next = this.branch[0]
    const final = next ? next.vmBefore : this.holder.vm
    for (const vm of [block.vmBefore, ...block.vms]) if (vm !== final) vm.dispose()
    return block
  }

  /** Takes back the newest block: its state changes, acks, seal and VMs. */
  dropNewest(): void {
    const block = this.branch.pop()
    if (!block) return
    this.takeBack(block)
    for (const vm of block.vms) if (vm !== block.vmBefore) vm.dispose()
  }

  /** Takes back every speculative block, newest first: the view is the committed head again. */
  reset(): void {
    while (this.branch.length > 0) this.dropNewest()
  }

  /**
   * Runs `fn` on the committed head: every speculative block is taken back first and applied again
   * after, so `fn` sees exactly what the log holds on stable storage. Synchronous by design.
   */
  committed<T>(fn: () => T): T {
    if (this.branch.length === 0) return fn()
    const vmNow = this.holder.vm
    for (let i = this.branch.length - 1; i >= 0; i--) this.takeBack(this.branch[i])
    try {
      return fn()
    } finally {
      for (const block of this.branch) this.applyAgain(block)
      this.holder.vm = vmNow
    }
  }

  /** The committed value of `key` (undefined: absent), without taking the branch back. */
  committedValue(key: string): Json | undefined {
    // The oldest change to a key in the branch knows the value it had before: the committed one.
    for (const block of this.branch) for (const u of block.undo) if (u.key === key) return u.before
    return this.view.state.get(key)
  }

  private takeBack(block: SpeculativeBlock): void {
    this.view.state.revert(block.undo)
    this.view.forgetOps(block.entries, block.start, block.previousLastSeq)
    this.view.lastSeal = block.sealBefore
    this.holder.vm = block.vmBefore
  }

  /** Folds a block's entries (and seal) again; the undo recorded the first time still applies. */
  private applyAgain(block: SpeculativeBlock): void {
    for (const entry of block.entries) this.view.fold(entry)
    if (block.seal) this.view.fold(block.seal)
  }
}
