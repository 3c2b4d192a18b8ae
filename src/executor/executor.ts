// The executor's processing loop (seed 001 §3.3): watch the active oplogs, run their ops in
// order, and append the resulting entries to the index log in blocks (one atomic append each).
// Crash safety comes from the log itself: the next op owed to each oplog is read back from the
// acks in the index, so a restarted executor resumes exactly where the last durable block ended.
// Order of a block (docs/protocol.md §5.2): append, sync, then announce to peers, answer clients and
// emit `block`; the sync is held inside the append itself (LogStore.syncWrites).

import { EventEmitter } from 'node:events'
import type Hypercore from 'hypercore'
import { decodeEntry, SYS, type OpEntry, type SealEntry } from '../codec/messages.js'
import { toHex } from '../codec/hash.js'
import { currentPeaks } from '../log/accumulator-log.js'
import { ReadAhead } from './read-ahead.js'
import { currentRoots, type TreeNode } from '../log/merkle.js'
import { signerOf } from '../log/seal.js'
import type { LogStore } from '../log/store.js'
import type { IndexState } from '../state/index-state.js'
import type { Undo } from '../state/memory-state.js'
import { ContractVM } from '../vm/index.js'
import type { Limits, SystemKeys } from '../vm/types.js'
import { finishEntry, type OpDraft } from './execute-op.js'
import { createRuntime, type ContractRuntime, type RuntimeMode } from './runtime/runtime.js'
import { sealBlock } from './seal-block.js'

export interface ExecutorOptions {
  /** Ops per block (one atomic append). */
  blockSize?: number
  limits?: Partial<Limits>
  /** The clock for acks; tests pin it. */
  now?: () => number
  /** Where contract code runs (runtime/runtime.ts); default 'local'. */
  runtime?: RuntimeMode
  /** Wall-clock ceiling of one op in 'thread' or 'process' mode, in ms (an alarm that stops the executor). */
  opCeilingMs?: number
}

export interface BlockEvent {
  /** Index position of the block's first entry. */
  start: number
  entries: OpEntry[]
  /** The seal appended after the entries, at position start + entries.length. */
  seal: SealEntry
}

/** Holds the VM for the active contract source; the executor swaps it when an entry says so. */
export interface VMHolder {
  vm: ContractVM
}

export class Executor extends EventEmitter {
  private readonly cores = new Map<string, Hypercore>()
  private inputs: string[] = []
  private turn = 0
  private running: Promise<void> | null = null
  private again = false
  private stopped = false
  private readonly blockSize: number
  private readonly now: () => number
  private readonly runtime: ContractRuntime
  private readonly onAppend = () => this.kick()
  /** Live downloads of remote inputs (oplogs written on other machines and replicated here). */
  private readonly downloads = new Map<string, { destroy(): void }>()
  /** VMs created by source switches in the block being built (disposed once it is settled). */
  private blockVMs: ContractVM[] = []
  /** The index log's Merkle roots, kept so each block's seal is computed before its append. */
  private roots: TreeNode[] = []
  /** The accumulator's peaks (docs/protocol.md §8.4), kept for the same reason. */
  private peaks: Uint8Array[] = []
  /** The ts of the last ack written: acks never go backwards, whatever the host clock does. */
  private lastTs = -Infinity
  /** The database's own log keys, which contracts may not declare as inputs. */
  private readonly systemKeys: SystemKeys
  /** Set when a block could not be written or made; the executor stops rather than diverge from its log. */
  failure: Error | null = null
  private reported = false

  constructor(
    private readonly index: Hypercore,
    private readonly view: IndexState,
    private readonly logs: LogStore,
    private readonly holder: VMHolder,
    private readonly maxOpBytes: number,
    opts: ExecutorOptions = {},
  ) {
    super()
    this.blockSize = opts.blockSize ?? 256
    this.now = opts.now ?? Date.now
    this.runtime = createRuntime(opts.runtime, opts.opCeilingMs === undefined ? {} : { opCeilingMs: opts.opCeilingMs })
    this.systemKeys = { index: toHex(index.key), signer: toHex(signerOf(index)) }
  }

  get runtimeMode(): RuntimeMode {
    return this.runtime.mode
  }

  async start(): Promise<void> {
    // Each append of the index resolves, and reaches peers, only once it is on stable storage.
    this.logs.syncWrites(this.index)
    this.roots = await currentRoots(this.index)
    this.peaks = await currentPeaks(this.index)
    this.lastTs = await lastAckTs(this.index)
    await this.syncInputs()
    this.kick()
  }

  /** Schedules a pass over the oplogs; safe to call any number of times. */
  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.pump().finally(() => {
      this.running = null
      if (this.again && !this.stopped) {
        this.again = false
        this.kick()
      }
    })
  }

  /** Resolves once every op available now has been processed. */
  async idle(): Promise<void> {
    while (this.running) await this.running
    if (this.failure) throw this.failure
  }

  /**
   * Stops for good with `err` (the state store lied to a read made outside the executor): the
   * block being built is not appended, and nothing is signed after this.
   */
  halt(err: Error): void {
    if (this.failure) return
    this.failure = err
    this.stopped = true
    // A block in progress notices at its end and reverts; pump() then reports.
    if (!this.running) this.report()
  }

  async stop(): Promise<void> {
    this.stopped = true
    while (this.running) await this.running.catch(() => {})
    for (const [pubkey, core] of this.cores) this.unwatch(pubkey, core)
    await this.runtime.close()
  }

  private async pump(): Promise<void> {
    try {
      while (!this.stopped && (await this.runBlock()) > 0);
    } catch (err) {
      this.failure ??= err as Error
      this.stopped = true
    }
    if (this.failure) this.report()
  }

  private report(): void {
    if (this.reported) return
    this.reported = true
    this.emit('error', this.failure)
  }

  /** Runs up to blockSize ops and appends their entries atomically; returns how many ran. */
  private async runBlock(): Promise<number> {
    const start = this.view.length
    const undo: Undo[] = []
    const previousLastSeq = new Map<string, number | undefined>()
    const entries: OpEntry[] = []
    const blocks: Buffer[] = []
    const vmBefore = this.holder.vm
    try {
      await this.buildBlock(entries, blocks, undo, previousLastSeq)
      // A store that lied meanwhile (halt()) stops the block here: its reads were checked, but
      // nothing is signed once the store is known to lie.
      if (this.failure) throw this.failure
    } catch (err) {
      // An op that could not run (a read the state store answered wrongly, an isolated runtime
      // past its ceiling or dead) ends the block unsigned: the state goes back to the last block,
      // which is what the log holds.
      await this.undoBlock(undo, entries, start, previousLastSeq, vmBefore)
      throw err
    }
    if (entries.length === 0) return 0
    const sealed = sealBlock(this.index, { roots: this.roots, peaks: this.peaks }, start, blocks, { stateRoot: entries[entries.length - 1].stateRoot, positions: this.view.lastSeq })
    const previousSeal = this.view.lastSeal
    this.view.fold(sealed.seal)
    blocks.push(sealed.bytes)
    try {
      await this.index.append(blocks)
    } catch (err) {
      this.view.lastSeal = previousSeal
      await this.undoBlock(undo, entries, start, previousLastSeq, vmBefore)
      throw err
    }
    this.roots = sealed.roots
    this.peaks = sealed.peaks
    this.settleVMs(this.holder.vm, vmBefore)
    // The append resolved after its sync (see start): the block is on stable storage before anyone
    // sees it, since a length served and then lost in a power loss would let us sign a fork.
    this.emit('block', { start, entries, seal: sealed.seal } satisfies BlockEvent)
    return entries.length
  }

  /** Runs ops into the block until it is full or no op is available now. */
  private async buildBlock(entries: OpEntry[], blocks: Buffer[], undo: Undo[], previousLastSeq: Map<string, number | undefined>): Promise<void> {
    // One oplog root per oplog per block: hashing the tree for every op would cost more than the op.
    const roots = new Map<string, { oplogLength: number; oplogHash: Uint8Array }>()
    // Remote inputs whose next op has not arrived yet: skipped in this block rather than waited
    // for, so one slow or vanished peer never stalls the others (its download wakes us up).
    const missing = new Set<string>()
    const ahead = new ReadAhead()
    while (entries.length < this.blockSize && !this.stopped) {
      const next = this.nextOrigin(missing)
      if (!next) break
      const [origin, core] = next
      const seq = this.view.nextSeq(origin)
      const bytes = await ahead.get(core, seq, this.blockSize - entries.length)
      if (!bytes) {
        missing.add(origin)
        continue
      }
      let root = roots.get(origin)
      if (!root || root.oplogLength <= seq) {
        const oplogLength = core.length
        root = { oplogLength, oplogHash: await core.treeHash(oplogLength) }
        roots.set(origin, root)
      }
      // A sandbox module replaced after an op that leaked must be loaded before the next op runs.
      if (!this.holder.vm.isReady) await this.holder.vm.ready()
      const run = this.runtime.executeOp(this.holder.vm, { origin, seq, bytes, ...root }, this.view.state, {
        ts: this.nextTs(),
        maxOpBytes: this.maxOpBytes,
        systemKeys: this.systemKeys,
      })
      // Local mode answers synchronously: no await on its hot path. An isolated runtime that ran
      // past the ceiling or died throws, and runBlock takes the whole block back.
      const draft: OpDraft = run instanceof Promise ? await run : run
      if (!previousLastSeq.has(origin)) previousLastSeq.set(origin, this.view.lastSeq.get(origin))
      const { entry, bytes: encoded } = finishEntry(draft, this.view, undo)
      entries.push(entry)
      blocks.push(Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength))
      await this.followSystemChanges(entry)
    }
  }

  /** Takes back a block that will not be appended: its state changes, acks, VMs and input set. */
  private async undoBlock(undo: Undo[], entries: OpEntry[], start: number, previousLastSeq: Map<string, number | undefined>, vmBefore: ContractVM): Promise<void> {
    this.view.state.revert(undo)
    this.view.forgetOps(entries, start, previousLastSeq)
    this.settleVMs(vmBefore)
    await this.syncInputs()
  }

  /** The clock, never below the last ack's ts (a host clock may step back). */
  private nextTs(): number {
    this.lastTs = Math.max(this.lastTs, this.now())
    return this.lastTs
  }

  /** Keeps `keep` as the active VM and disposes every other VM the block touched. */
  private settleVMs(keep: ContractVM, ...others: ContractVM[]): void {
    for (const vm of [...this.blockVMs, ...others]) if (vm !== keep) vm.dispose()
    this.blockVMs = []
    this.holder.vm = keep
  }

  /** Swaps the VM or the input set when an entry changed `.sys/contract/source` or `.sys/inputs/`. */
  private async followSystemChanges(entry: OpEntry): Promise<void> {
    let inputsChanged = false
    for (const c of entry.changes) {
      if (c.key === SYS.source && c.type === 'put' && typeof c.value === 'string') {
        this.holder.vm = await ContractVM.create(c.value)
        this.blockVMs.push(this.holder.vm)
      } else if (c.key.startsWith(SYS.inputsPrefix)) {
        inputsChanged = true
      }
    }
    if (inputsChanged) await this.syncInputs()
  }

  /** Opens newly declared inputs and drops removed ones. */
  private async syncInputs(): Promise<void> {
    this.inputs = this.view.inputs()
    for (const pubkey of this.inputs) {
      if (this.cores.has(pubkey)) continue
      const core = await this.logs.byPubkey(pubkey)
      core.on('append', this.onAppend)
      if (!core.writable) {
        // Kept whole (not only from the next op) so this node can serve the oplog to monitors.
        core.on('download', this.onAppend)
        this.downloads.set(pubkey, core.download({ start: 0, end: -1 }))
      }
      this.cores.set(pubkey, core)
    }
    for (const [pubkey, core] of this.cores) {
      if (this.inputs.includes(pubkey)) continue
      this.unwatch(pubkey, core)
      this.cores.delete(pubkey)
    }
  }

  private unwatch(pubkey: string, core: Hypercore): void {
    core.off('append', this.onAppend)
    core.off('download', this.onAppend)
    this.downloads.get(pubkey)?.destroy()
    this.downloads.delete(pubkey)
  }

  /** Round-robin over the active inputs that have an unprocessed op (not counting `skip`). */
  private nextOrigin(skip: ReadonlySet<string>): [string, Hypercore] | null {
    const n = this.inputs.length
    for (let i = 0; i < n; i++) {
      const origin = this.inputs[(this.turn + i) % n]
      if (skip.has(origin)) continue
      const core = this.cores.get(origin)
      if (core && core.length > this.view.nextSeq(origin)) {
        this.turn = (this.turn + i + 1) % n
        return [origin, core]
      }
    }
    return null
  }
}

/**
 * The ts of the last op entry in the index (-Infinity before the first): where a restarted executor
 * resumes its clock. Every block ends with a seal right after an op entry, so this reads two entries.
 */
async function lastAckTs(index: Hypercore): Promise<number> {
  for (let seq = index.length - 1; seq >= 0; seq--) {
    const block = await index.get(seq)
    if (!block) break
    const entry = decodeEntry(block)
    if (entry.type === 'op') return entry.ack.ts
    if (entry.type !== 'seal') break
  }
  return -Infinity
}
