// The executor's processing loop (seed 001 §3.3): watch the active oplogs, run their ops in
// order, and append the resulting entries to the index log in blocks (one atomic append each).
// Crash safety comes from the log itself: the next op owed to each oplog is read back from the
// acks in the index, so a restarted executor resumes exactly where the last durable block ended.
// Order of a block (docs/protocol.md §5.2): make it durable, append, then announce to peers, answer
// clients and emit `block`. A database's executor journals the block first (append-journal.ts, via
// `beforeAppend`); without a journal the sync is held inside the append itself (LogStore.syncWrites).
// Pipelined (seed 000's speculative execution): the next block executes on top of the last one while
// that one is appended and synced. Blocks not yet on stable storage are speculative
// (speculative-blocks.ts): appended one at a time and in order, never seen outside the executor
// (`committed`), and taken back, descendants first, if an append fails.

import { EventEmitter } from 'node:events'
import type Hypercore from 'hypercore'
import { decodeEntry, SYS, type OpEntry, type SealEntry } from '../codec/messages.js'
import { toHex } from '../codec/hash.js'
import { currentPeaks } from '../log/accumulator-log.js'
import { ReadAhead } from './read-ahead.js'
import { currentRoots, treeHashAt, type TreeNode } from '../log/merkle.js'
import { signerOf } from '../log/seal.js'
import type { LogStore } from '../log/store.js'
import type { IndexState } from '../state/index-state.js'
import { ContractVM } from '../vm/index.js'
import type { Json, Limits, StateReader, SystemKeys } from '../vm/types.js'
import { finishEntry, opened, type OpDraft } from './execute-op.js'
import { confidentialOf, currentMembers, logSigner, type Confidential } from '../confidential/open.js'
import { openOp } from '../confidential/op-envelope.js'
import { createRuntime, type ContractRuntime, type RuntimeMode } from './runtime/runtime.js'
import { sealBlock, type StoredForm } from './seal-block.js'
import { StageTimes } from './stage-times.js'
import { SpeculativeBlocks, type SpeculativeBlock, type VMHolder } from './speculative-blocks.js'

/** Ops between two turns of the event loop while an append is in flight (see buildBlock). */
const YIELD_EVERY = 16

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
  /**
   * Held before every append of the index log, with the block's position and entry bytes (and of a
   * confidential database's keys log, `log: 'keys'`): the append waits until it resolves and the
   * executor stops if it fails. A standby's hold (failover/standby-hold.ts): nothing reaches a log, or
   * a peer, that the standby does not hold already.
   */
  beforeAppend?: (start: number, blocks: readonly Buffer[], log?: 'keys', standby?: string | null) => Promise<void>
  /**
   * The standby the contract names on a state (failover/named-standby.ts), asked on the state before
   * each block and passed to `beforeAppend` with the block (and its epoch record): undefined when
   * the contract names none.
   */
  standbyOf?: (state: StateReader) => string | null | undefined
  /**
   * `beforeAppend` makes each block durable (it journals it, append-journal.ts): the logs' own
   * writes then need no sync. Without it, every append waits for a sync of the log store.
   */
  journaled?: boolean
  /**
   * A standby taking over (docs/protocol.md §18): the swarm key of this instance. Before any op, the
   * executor appends a block of one seal that names it, so the log says where the writer changed.
   */
  handover?: Uint8Array
}

export interface BlockEvent {
  /** Index position of the block's first entry. */
  start: number
  entries: OpEntry[]
  /** The seal appended after the entries, at position start + entries.length. */
  seal: SealEntry
  /** The entries' bytes, as a read of the index log gives them back (absent for a handover's seal). */
  bytes?: readonly Uint8Array[]
}

/** A block executed but not yet on stable storage (`executed`, emitted before its append). */
export interface ExecutedEvent {
  start: number
  entries: OpEntry[]
  /** Blocks not yet on stable storage, this one included. */
  speculative: number
}

export type { VMHolder } from './speculative-blocks.js'

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
  /** Set while the pump waits for new ops during an append (newWork). */
  private waiting: (() => void) | null = null
  /** Live downloads of remote inputs (oplogs written on other machines and replicated here). */
  private readonly downloads = new Map<string, { destroy(): void }>()
  /** Where the time goes, per stage (stage-times.ts). */
  readonly times = new StageTimes()
  /** Executed blocks not yet on stable storage, oldest first. */
  private readonly speculative: SpeculativeBlocks
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
  /** A confidential database's keys and settings (docs/protocol.md §17), else null. */
  private readonly confidential: Confidential | null
  /** The append of a new epoch's record, which the next index append waits for. */
  private rotating: Promise<unknown> | null = null
  private readonly beforeAppend: ExecutorOptions['beforeAppend']
  private readonly standbyOf: ExecutorOptions['standbyOf']
  private readonly handover: Uint8Array | undefined
  private readonly journaled: boolean

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
    this.speculative = new SpeculativeBlocks(view, holder)
    this.confidential = confidentialOf(index)
    this.beforeAppend = opts.beforeAppend
    this.standbyOf = opts.standbyOf
    this.handover = opts.handover
    this.journaled = opts.journaled === true && opts.beforeAppend !== undefined
  }

  /**
   * Runs `fn` on the committed head (what the log holds on stable storage), with any block still
   * being executed or appended taken back for its duration. Readers of the shared view go through it.
   */
  committed<T>(fn: () => T): T {
    return this.speculative.committed(fn)
  }

  /** The committed value of `key`: a read that needs no more than one key, without taking blocks back. */
  committedValue(key: string): Json | undefined {
    return this.speculative.committedValue(key)
  }

  /** Blocks executed or being appended that are not on stable storage yet. */
  get blocksInFlight(): number {
    return this.speculative.size
  }

  /** The index length of the committed head: entries past it are in blocks not yet on stable storage. */
  get committedLength(): number {
    return this.speculative.committedLength
  }

  get runtimeMode(): RuntimeMode {
    return this.runtime.mode
  }

  async start(): Promise<void> {
    // Each append of the index resolves, and reaches peers, only once it is on stable storage:
    // journaled before it is written, or else synced inside the write. So does each epoch record:
    // one announced and then lost in a power loss would be followed by another key for the same
    // epoch, two signed keys logs.
    if (!this.journaled) {
      this.logs.syncWrites(this.index)
      if (this.confidential) this.logs.syncWrites(this.confidential.keyring.keysLog)
    }
    this.roots = await currentRoots(this.index)
    this.peaks = await currentPeaks(this.index)
    this.lastTs = await lastAckTs(this.index)
    if (this.handover) await this.appendHandover(this.handover)
    await this.syncInputs()
    this.kick()
  }

  /** The block of one seal that names the instance taking over, at the head it took over. */
  private async appendHandover(instance: Uint8Array): Promise<void> {
    const start = this.index.length
    const sealed = sealBlock(this.index, { roots: this.roots, peaks: this.peaks }, start, [], { stateRoot: this.view.state.root(), positions: this.view.lastSeq }, this.storedForm(), instance)
    if (this.standbyOf && !this.holder.vm.isReady) await this.holder.vm.ready()
    await this.beforeAppend?.(start, [sealed.bytes], undefined, this.standbyOf?.(this.view.state))
    await this.index.append([sealed.bytes])
    this.view.fold(sealed.seal)
    this.roots = sealed.roots
    this.peaks = sealed.peaks
    this.emit('block', { start, entries: [], seal: sealed.seal } satisfies BlockEvent)
  }

  /** Schedules a pass over the oplogs; safe to call any number of times. */
  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      this.wakeUp()
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

  /** Resolves (false) at the next kick(), halt() or stop(): new ops may be there, or the pump must end. */
  private newWork(): Promise<false> {
    return new Promise((resolve) => (this.waiting = () => resolve(false)))
  }

  private wakeUp(): void {
    const wake = this.waiting
    this.waiting = null
    wake?.()
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
    this.wakeUp()
    // A block in progress notices at its end and reverts; pump() then reports.
    if (!this.running) this.report()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wakeUp()
    while (this.running) await this.running.catch(() => {})
    for (const [pubkey, core] of this.cores) this.unwatch(pubkey, core)
    await this.runtime.close()
  }

  private async pump(): Promise<void> {
    // The append of the last block sealed, while the next one executes on top of it; and the append
    // of the block before it, which that one waits for (its journaling does not).
    let appending: Promise<void> | null = null
    let before: Promise<void> | null = null
    try {
      while (!this.stopped) {
        const block = this.speculative.open()
        // Who may read the block: the members when it starts (it ends at any change of them).
        const members = this.confidential ? this.members() : null
        // Who holds it before its append: the standby the state before it names, if the contract names one.
        if (this.standbyOf && !this.holder.vm.isReady) await this.holder.vm.ready()
        const standby = this.standbyOf?.(this.view.state)
        try {
          await this.buildBlock(block)
          // A store that lied meanwhile (halt()) or an append that failed stops the block here: its
          // reads were checked, but nothing is signed once the store is known to lie.
          if (this.failure) throw this.failure
        } catch (err) {
          // An op that could not run (a read the state store answered wrongly, an isolated runtime
          // past its ceiling or dead) ends the block unsigned: its effects are taken back.
          this.speculative.dropNewest()
          throw err
        }
        if (block.entries.length === 0) {
          this.speculative.dropNewest()
          // Members changed with no op to seal (a new input's manifest arrived, a restart after a
          // removal): the new epoch now, so a new member need not wait for someone else's op to write.
          if (members) {
            this.ensureEpoch(block.start, members, standby)
            if (this.rotating) await this.rotating
          }
          if (!appending) break
          // Nothing to execute now while a block is appended: go on at new ops, or once it is durable.
          const durable = appending.then(() => true)
          durable.catch(() => {}) // its failure is thrown where `appending` is awaited
          if (await Promise.race([durable, this.newWork()])) appending = before = null
          continue
        }
        // Executed, not yet durable: for tests and tools that watch the pipeline; nothing may act on it.
        this.emit('executed', { start: block.start, entries: block.entries, speculative: this.speculative.size } satisfies ExecutedEvent)
        // Appends go one at a time, in log order: this block is appended once the last one is in the
        // log. It is journaled meanwhile, so at most two blocks are past execution: the one being
        // appended and this one. (A new epoch waits for the last block: its record goes first.)
        const waited = performance.now()
        if (before) await before
        if (members && appending) await appending
        this.times.add('waitDurable', waited)
        before = members ? null : appending
        if (members) this.ensureEpoch(block.start, members, standby)
        this.sealOf(block)
        appending = this.append(block, standby, before)
        // Awaited before the next append or at the end; a failure meanwhile must not go unhandled.
        appending.catch(() => {})
      }
      if (appending) await appending
    } catch (err) {
      this.failure ??= err as Error
      this.stopped = true
      // Every block not on stable storage is taken back, newest first, once no append is in flight.
      if (appending) await appending.catch(() => {})
      this.speculative.reset()
      await this.syncInputs().catch(() => {})
    }
    if (this.failure) this.report()
  }

  private report(): void {
    if (this.reported) return
    this.reported = true
    this.emit('error', this.failure)
  }

  /** Signs the block's seal, over the log as it will be once the blocks before it are appended. */
  private sealOf(block: SpeculativeBlock): void {
    const at = performance.now()
    const last = block.entries[block.entries.length - 1]
    const sealed = sealBlock(this.index, { roots: this.roots, peaks: this.peaks }, block.start, block.blocks, { stateRoot: last.stateRoot, positions: this.view.lastSeq }, this.storedForm())
    this.speculative.seal(block, sealed.seal, sealed.bytes)
    this.roots = sealed.roots
    this.peaks = sealed.peaks
    this.times.add('seal', at)
    this.times.blocks++
  }

  /** How entries are stored: in their envelopes in a confidential database (docs/protocol.md §17.2). */
  private storedForm(): StoredForm | undefined {
    const encryption = this.confidential?.encryption
    return encryption ? (p: number, b: Uint8Array) => encryption.stored(p, b) : undefined
  }

  /**
   * Appends a sealed block; once it is on stable storage it leaves the speculative branch and
   * `block` is emitted on the committed head, whatever the next block's execution is doing.
   */
  private append(block: SpeculativeBlock, standby: string | null | undefined, previous: Promise<void> | null): Promise<void> {
    // A new epoch's record is in the keys log before any entry sealed under it.
    const rotating = this.rotating
    this.rotating = null
    const hold = this.beforeAppend
    // Journaled (and forwarded to a standby) at once, while the block before is still being
    // appended; appended once it is journaled and that block is in the log. If that block's append
    // fails, this one is not appended: the executor stops, and the journal puts both back at the
    // next open, in order (log/append-journal.ts).
    const journal = () => (hold ? hold(block.start, block.blocks, undefined, standby) : Promise.resolve())
    const held = rotating ? rotating.then(journal) : journal()
    const appended = Promise.all([held, previous]).then(() => this.index.append(block.blocks))
    return appended.then(
      () => {
        this.speculative.commitOldest()
        // The block was journaled before its append, or synced inside it (see start): it is on stable
        // storage before anyone sees it, since a length served and then lost in a power loss would
        // let us sign a fork.
        const seal = block.seal as SealEntry
        const at = performance.now()
        const bytes = block.blocks.slice(0, block.entries.length)
        this.speculative.committed(() => this.emit('block', { start: block.start, entries: block.entries, seal, bytes } satisfies BlockEvent))
        this.times.add('announce', at)
      },
      (err: Error) => {
        // The block building on this one stops at its next op; pump() then takes both back.
        this.failure ??= err
        this.stopped = true
        throw err
      },
    )
  }

  /** A confidential database's members now: the signer, the inputs' signers and the readers. */
  private members(): string[] {
    const inputSigners = this.inputs.map((k) => this.cores.get(k)).flatMap((core) => (core && logSigner(core)) || [])
    return currentMembers(this.systemKeys.signer, inputSigners, this.confidential!.settings)
  }

  /**
   * Starts a new epoch (docs/protocol.md §17.3) before sealing a block whose members are not the
   * current epoch's, or once the epoch has lasted `rotateEvery` entries.
   */
  private ensureEpoch(start: number, members: readonly string[], standby: string | null | undefined): void {
    const { keyring, settings } = this.confidential!
    const latest = keyring.latest
    const record = keyring.record(latest)!
    const same = keyring.members(latest).join() === members.join()
    if (same && !(settings.rotateEvery > 0 && start - record.from >= settings.rotateEvery)) return
    const hold = this.beforeAppend
    this.rotating = keyring.rotate(start, members, hold && ((at, blocks) => hold(at, blocks, 'keys', standby)))
    this.rotating.catch(() => {}) // reported by the append that waits for it
  }

  /** Runs ops into the block until it is full or no op is available now. */
  private async buildBlock(block: SpeculativeBlock): Promise<void> {
    const { entries, blocks, undo, previousLastSeq } = block
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
      let at = performance.now()
      const bytes = await ahead.get(core, seq, this.blockSize - entries.length, this.logs.recentAppends(core))
      if (!bytes) {
        missing.add(origin)
        continue
      }
      let root = roots.get(origin)
      if (!root || root.oplogLength <= seq) {
        const oplogLength = core.length
        root = { oplogLength, oplogHash: await treeHashAt(core, oplogLength) }
        roots.set(origin, root)
      }
      // A confidential database's op opens here, before the runtime sees it; one that does not fails.
      const op = this.confidential ? opened(await openOp(this.confidential.keyring, core, bytes)) : bytes
      at = this.times.add('read', at)
      // A sandbox module replaced after an op that leaked must be loaded before the next op runs.
      if (!this.holder.vm.isReady) await this.holder.vm.ready()
      const run = this.runtime.executeOp(this.holder.vm, { origin, seq, bytes: op, ...root }, this.view.state, {
        ts: this.nextTs(),
        maxOpBytes: this.maxOpBytes,
        systemKeys: this.systemKeys,
      })
      // Local mode answers synchronously: no await on its hot path. An isolated runtime that ran
      // past the ceiling or died throws, and pump() takes the whole block back.
      const draft: OpDraft = run instanceof Promise ? await run : run
      at = this.times.add('execute', at)
      if (!previousLastSeq.has(origin)) previousLastSeq.set(origin, this.view.lastSeq.get(origin))
      const { entry, bytes: encoded } = finishEntry(draft, this.view, undo)
      entries.push(entry)
      blocks.push(Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength))
      this.times.add('finish', at)
      this.times.ops++
      // Only .sys/ changes can switch the contract or the inputs: no await for the others.
      if (entry.changes.some((c) => c.key.startsWith('.sys/'))) {
        await this.followSystemChanges(entry, block)
        // A confidential block ends where its members change: the next one is sealed for the new ones.
        if (this.confidential && entry.changes.some((c) => c.key.startsWith(SYS.inputsPrefix))) break
      }
      // Ops read ahead resolve without I/O, so a block would run to its end before the last block's
      // append (its storage callbacks, its sync) could move: let I/O through now and then meanwhile.
      if (this.speculative.size > 1 && entries.length % YIELD_EVERY === 0) await new Promise(setImmediate)
    }
  }

  /** The clock, never below the last ack's ts (a host clock may step back). */
  private nextTs(): number {
    this.lastTs = Math.max(this.lastTs, this.now())
    return this.lastTs
  }

  /** Swaps the VM or the input set when an entry changed `.sys/contract/source` or `.sys/inputs/`. */
  private async followSystemChanges(entry: OpEntry, block: SpeculativeBlock): Promise<void> {
    let inputsChanged = false
    for (const c of entry.changes) {
      if (c.key === SYS.source && c.type === 'put' && typeof c.value === 'string') {
        this.holder.vm = await ContractVM.create(c.value)
        block.vms.push(this.holder.vm)
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
        // A confidential database seals to an input's signer, known once its manifest arrives.
        if (this.confidential && !core.manifest) core.once('manifest', this.onAppend)
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
    core.off('manifest', this.onAppend)
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
