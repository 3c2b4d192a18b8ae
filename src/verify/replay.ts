// The one replay engine (seed 001 §3.5): recompute every index entry from the oplogs and the
// contract, compare it with the published one, and stop at the first breach with a typed notice.
// Full verification, the continuous monitor, resumption and sandboxes (a fork replay) all drive this class.

import type Hypercore from 'hypercore'
import { hash, toHex } from '../codec/hash.js'
import {
  decodeEntry,
  entryPath,
  PROTOCOL,
  SYS,
  type HeaderEntry,
  type IndexEntry,
  type OpEntry,
  type SealEntry,
} from '../codec/messages.js'
import { appendLeaf, leafHash } from '../log/accumulator.js'
import { positionsHash, type Positions } from '../log/positions.js'
import { sealSignedBy, signerOf } from '../log/seal.js'
import { GlassboxError } from '../errors.js'
import type { Undo } from '../state/memory-state.js'
import { entryChanges, IndexState } from '../state/index-state.js'
import { ContractVM, RUNTIME_ID } from '../vm/index.js'
import type { VerifiedStateCheckpoint } from '../state/checkpoint/state-checkpoint.js'
import type { Change, Json, SystemKeys } from '../vm/types.js'
import type { BreachClass, BreachNotice } from './breach.js'
import { buildFraudProof, forkProof, type BuiltProof, type ForkProof } from './fraud-proof.js'
import { recompute } from './recompute.js'
import type { Keyring } from '../confidential/keyring.js'
import { namedStandby } from '../failover/named-standby.js'
import { EpochRule } from '../confidential/epoch-rule.js'
import type { IndexEncryption } from '../confidential/index-encryption.js'
import { openOp } from '../confidential/op-envelope.js'
import { opened } from '../executor/execute-op.js'
import { signedRoot } from './heads.js'

/** Verification could not be carried out (as opposed to a breach, which it found). */
export class VerifyError extends GlassboxError {}

/**
 * A state checkpoint whose seal is not the log's entry at its length. When the log holds another
 * seal for that length, also signed by the executor, the two are a fork proof (docs/protocol.md §10).
 */
export class CheckpointNotInLog extends VerifyError {
  constructor(
    message: string,
    readonly fraudProof: ForkProof | null,
  ) {
    super('CHECKPOINT_NOT_IN_LOG', message)
  }
}

/** Where a replay reads the logs from. */
export interface ReplayLogs {
  index: Hypercore
  oplog(pubkey: string): Promise<Hypercore>
  /** A confidential database: the epoch keys that open its ops (docs/protocol.md §17.4). */
  keyring?: Keyring
  /**
   * For logs fetched from peers: resolves once the replica knows `core` signed up to `length` and
   * holds block `seq`, or throws when no peer can show them (a network failure to report, never a
   * breach).
   */
  reach?(core: Hypercore, length: number, seq: number): Promise<void>
}

type Verdict = BreachNotice | null

/**
 * What a fork replay gives for the log's entry at `seq` (glassbox sandbox): genesis entries as the
 * fork declares them, a seal where the log closed a block, or an op recomputed under the fork's code
 * beside the log's own entry.
 */
export type ForkStep =
  | { kind: 'genesis'; entries: IndexEntry[] }
  | { kind: 'seal'; stateRoot: Uint8Array; positions: Positions }
  | { kind: 'op'; published: OpEntry; expected: OpEntry; op: Uint8Array }
  | { kind: 'not-an-input'; published: OpEntry }

/**
 * Replays a log under other code: the fork's contract replaces the genesis one, every op is
 * recomputed over the fork's state and kept whatever it gives (a difference is the point, not a
 * breach), and the log's own seals are not checked against a state they no longer describe. Checks
 * of the log itself (acks against oplogs, order) still stop the replay.
 */
export interface ReplayFork {
  contract: string
  /** Inputs the fork declares at genesis besides the log's (its own oplogs). */
  extraInputs: readonly string[]
  onStep(seq: number, step: ForkStep): void | Promise<void>
}

export class Replay {
  /** The state and bookkeeping after the entries verified (or taken from a state checkpoint). */
  view = new IndexState()
  private vm: ContractVM | null = null
  /** A time (ms) no ack from position `from` on may precede: a cosignature's (docs/protocol.md §11.3). */
  private tsFloor: { from: number; ts: number; why: string } | null = null
  /** The accumulator's peaks over the entries verified so far (docs/protocol.md §8.4). */
  private peaks: Uint8Array[] = []
  /** A confidential database's epoch rule (docs/protocol.md §17.4), once its header is read with a keyring. */
  private epochRule: EpochRule | null = null
  private readonly lastRoot = new Map<string, { length: number; hash: string }>()
  /** The ts of the last op entry verified: acks never go backwards. */
  private lastTs: number | null = null
  private readonly indexKey: string
  private readonly signer: Uint8Array
  private readonly systemKeys: SystemKeys

  constructor(
    private readonly logs: ReplayLogs,
    private readonly fork: ReplayFork | null = null,
  ) {
    this.indexKey = toHex(logs.index.key)
    this.signer = signerOf(logs.index)
    this.systemKeys = { index: this.indexKey, signer: toHex(this.signer) }
  }

  /** The last oplog root an ack was checked against, per oplog: roots the monitor has now seen. */
  get ackedRoots(): ReadonlyMap<string, { length: number; hash: string }> {
    return this.lastRoot
  }

  /** From index position `from` on, acks must carry a ts of at least `ts` (ms); the latest floor wins. */
  anchorTime(from: number, ts: number, why: string): void {
    if (this.tsFloor && this.tsFloor.ts >= ts) return
    this.tsFloor = { from, ts, why }
  }

  /** Index entries verified so far. */
  get position(): number {
    return this.view.length
  }

  get genesisDone(): boolean {
    return this.view.genesisDone
  }

  /**
   * Rebuilds the replay state at `length` by folding entries already verified (no contract runs),
   * after checking the log still has the tree hash it had then.
   */
  async resumeAt(length: number): Promise<void> {
    await this.foldTo(length)
    await this.loadVM(this.view.source)
  }

  /**
   * Starts after a state checkpoint's seal (startFrom), then folds the entries from there to
   * `length` that an earlier run verified: a replica synced from a checkpoint holds no entries before it.
   */
  async resumeFrom(cp: VerifiedStateCheckpoint, length: number): Promise<void> {
    await this.startFrom(cp)
    await this.foldTo(length)
    await this.loadVM(this.view.source)
  }

  /** Folds entries from the current position to `length`, verified before (no contract runs). */
  private async foldTo(length: number): Promise<void> {
    if (length <= this.view.length) return
    for await (const block of this.logs.index.createReadStream({ start: this.view.length, end: length })) {
      this.peaks = appendLeaf(this.peaks, this.view.length, leafHash(block))
      const entry = decodeEntry(block)
      if (entry.type === 'header') {
        this.checkRuntime(entry.runtime)
        this.noteHeader(entry)
      } else if (entry.type === 'op') this.lastTs = entry.ack.ts
      this.view.fold(entry)
    }
    // Entries verified before: the epoch rule goes on with the inputs where they stopped.
    await this.epochRule?.blockStart(this.view.inputs())
  }

  /**
   * Starts after the seal of a state checkpoint already checked against that seal (docs/protocol.md
   * §12): its state and oplog positions become the view, and replay goes on from the entry after
   * the seal. The log must hold that very seal at its position; entries before it are not read,
   * except the header (the runtime) and the op entry before the seal (the clock acks continue from).
   */
  async startFrom(cp: VerifiedStateCheckpoint): Promise<void> {
    if (this.view.length !== 0) throw new Error('startFrom() is for a replay that has verified nothing yet')
    const at = cp.seal.length
    const logged = await this.logs.index.get(at)
    if (!logged) throw new VerifyError('ENTRY_UNAVAILABLE', `index entry ${at} is not available`)
    if (toHex(logged) !== toHex(cp.sealBytes)) {
      const fork = this.forkWith(at, logged, cp.sealBytes)
      const what = fork ? 'the executor signed two seals for that length (a fork: the fraud proof holds both)' : 'the executor signed two logs (a fork), or the checkpoint is of another history'
      throw new CheckpointNotInLog(`the state checkpoint's seal is not the index log's entry ${at}: ${what}`, fork)
    }
    const header = await this.logs.index.get(0)
    const first = header ? decodeEntry(header) : null
    if (first?.type !== 'header') throw new VerifyError('CHECKPOINT_NOT_IN_LOG', 'the index log does not start with a header')
    if (first.protocol !== PROTOCOL) throw new VerifyError('PROTOCOL_MISMATCH', `the database speaks protocol "${first.protocol}" but this verifier speaks ${PROTOCOL}; it refuses to judge rather than report false breaches`)
    this.checkRuntime(first.runtime)
    this.noteHeader(first)
    const before = at > 0 ? await this.logs.index.get(at - 1) : null
    const previous = before ? decodeEntry(before) : null
    if (previous?.type === 'op') this.lastTs = previous.ack.ts
    const view = new IndexState(cp.state)
    view.runtime = first.runtime
    view.genesisDone = true
    for (const [origin, seq] of cp.positions) view.lastSeq.set(origin, seq)
    view.lastSeal = { position: at, seal: cp.seal }
    view.length = at + 1
    this.view = view
    this.peaks = appendLeaf(cp.seal.peaks, at, leafHash(cp.sealBytes))
    await this.epochRule?.blockStart(view.inputs())
    await this.loadVM(view.source)
  }

  /** The fork proof of a seal for length `at` that the log's own (also signed) seal there contradicts, if it does. */
  private forkWith(at: number, logged: Uint8Array, other: Uint8Array): ForkProof | null {
    let entry: IndexEntry
    try {
      entry = decodeEntry(logged)
    } catch {
      return null
    }
    if (entry.type !== 'seal' || entry.length !== at || !sealSignedBy(entry, this.logs.index.key, this.signer)) return null
    const signer = toHex(this.signer)
    return forkProof(this.indexKey, { signer, seal: toHex(other) }, { signer, seal: toHex(logged) }, `two seals signed for length ${at}: the state checkpoint's and the index log's`)
  }

  /** Verifies the entry at `position`; the log must hold it. Returns a notice on a breach. */
  async verifyNext(): Promise<Verdict> {
    const seq = this.view.length
    const bytes = await this.logs.index.get(seq)
    if (!bytes) throw new VerifyError('ENTRY_UNAVAILABLE', `index entry ${seq} is not available`)
    const verdict = await this.verifyEntry(seq, bytes)
    // The accumulator grows by every entry the replay accepted (its view moved past it).
    if (this.view.length === seq + 1) this.peaks = appendLeaf(this.peaks, seq, leafHash(bytes))
    return verdict
  }

  private async verifyEntry(seq: number, bytes: Uint8Array): Promise<Verdict> {
    let entry: IndexEntry
    try {
      entry = decodeEntry(bytes)
    } catch (err) {
      const cls = this.view.genesisDone ? 'malformed-entry' : 'malformed-genesis'
      return this.breach(cls, seq, bytes, null, (err as Error).message, 'a canonical entry', toHex(bytes.subarray(0, 64)))
    }
    if (entry.type === 'header') this.noteHeader(entry)
    if (this.epochRule) {
      const encryption = this.logs.index.encryption as IndexEncryption
      const wrong = await this.epochRule.check(seq, await encryption.epochAt(seq), entry)
      if (wrong) return this.breach('sealed-to-outsider', seq, bytes, entry, wrong, 'entries sealed for the members of their block alone', 'an entry sealed for others too')
    }
    if (this.view.genesisDone) {
      const verdict = await this.checkOp(seq, bytes, entry)
      return verdict ?? (entry.type === 'seal' ? this.epochBlockStart(seq, bytes, entry) : null)
    }
    const verdict = await this.checkGenesis(seq, bytes, entry)
    if (verdict) return verdict
    if (this.fork) return this.forkGenesis(seq, entry)
    this.view.fold(entry)
    return null
  }

  /**
   * A notice when the log's head at `length` falls inside the genesis entries: they are written in
   * one append, so a signed length without the genesis ack is a malformed genesis, not a pause.
   */
  async checkGenesisComplete(length: number): Promise<Verdict> {
    if (length === 0 || this.view.genesisDone || this.view.length !== length) return null
    const seq = length - 1
    const bytes = await this.logs.index.get(seq)
    if (!bytes) throw new VerifyError('ENTRY_UNAVAILABLE', `index entry ${seq} is not available`)
    const message = `the index ends at length ${length} without the genesis ack (genesis is written in one append)`
    return this.breach('malformed-genesis', seq, bytes, decodeEntry(bytes), message, `${SYS.genesis} at #${length}`, 'the end of the log')
  }

  /**
   * The fraud proof of a breach this replay found (its state is then the pre-state of the offending
   * entry), or why there is none. `sealSeen` is the last seal verified before a rewrite.
   */
  async fraudProof(notice: BreachNotice, sealSeen?: { position: number; seal: string } | null): Promise<BuiltProof> {
    return buildFraudProof(
      { index: this.logs.index, oplog: (pubkey) => this.logs.oplog(pubkey), signer: this.signer, state: this.view.state, vm: this.vm, atPreState: this.view.length === notice.seq, sealSeen, ...(this.logs.keyring ? { keyring: this.logs.keyring } : {}) },
      notice,
    )
  }

  dispose(): void {
    this.vm?.dispose()
    this.vm = null
  }

  private checkRuntime(runtime: string): void {
    if (runtime !== RUNTIME_ID) {
      throw new VerifyError(
        'RUNTIME_MISMATCH',
        `the database was made with runtime "${runtime}" but this verifier runs "${RUNTIME_ID}"; it refuses to judge rather than report false breaches`,
      )
    }
  }

  private async checkGenesis(seq: number, bytes: Uint8Array, entry: IndexEntry): Promise<Verdict> {
    const bad = (message: string, expected: string) => this.breach('malformed-genesis', seq, bytes, entry, message, expected, entry.type)
    if (seq === 0) {
      if (entry.type !== 'header') return bad('the first entry is not the header', 'header')
      if (entry.protocol !== PROTOCOL) {
        // Another version's log is not a breach: this verifier cannot read it, so it refuses to judge.
        throw new VerifyError('PROTOCOL_MISMATCH', `the database speaks protocol "${entry.protocol}" but this verifier speaks ${PROTOCOL}; it refuses to judge rather than report false breaches`)
      }
      this.checkRuntime(entry.runtime)
      return null
    }
    if (seq === 1) {
      if (entry.type !== 'contract') return bad('the second entry is not the contract source', 'contract')
      try {
        await this.loadVM(this.fork?.contract ?? entry.code)
      } catch (err) {
        return bad(`the contract does not load: ${(err as Error).message}`, 'a loadable contract')
      }
      return null
    }
    if (entry.type === 'input') {
      if (this.view.isInput(entry.pubkey)) return bad(`input ${entry.pubkey} is declared twice`, 'distinct inputs')
      if (entry.pubkey === this.systemKeys.index || entry.pubkey === this.systemKeys.signer) {
        const what = entry.pubkey === this.systemKeys.index ? "the database's own index log" : "the index log's signing key"
        return bad(`input ${entry.pubkey} is ${what}, not a participant oplog`, 'participant oplogs')
      }
      return null
    }
    if (entry.type === 'genesis') return null
    return bad(`a ${entry.type} entry before the genesis ack`, 'input or genesis')
  }

  /** The fork's genesis entries in place of the log's: its contract, and its own inputs before the ack. */
  private async forkGenesis(seq: number, entry: IndexEntry): Promise<null> {
    const fork = this.fork!
    const own: IndexEntry = entry.type === 'contract' ? { type: 'contract', code: fork.contract } : entry
    const extra = entry.type === 'genesis' ? fork.extraInputs.map((pubkey): IndexEntry => ({ type: 'input', pubkey })) : []
    // Positions stay the log's (the replay reads it by position): the extra inputs change only the state.
    for (const e of extra) this.view.state.apply(entryChanges(e))
    this.view.fold(own)
    await fork.onStep(seq, { kind: 'genesis', entries: [...extra, own] })
    return null
  }

  /** A seal must sit at the length it covers and sign the log's tree hash, state root and oplog positions there. */
  private async checkSeal(seq: number, bytes: Uint8Array, seal: SealEntry): Promise<Verdict> {
    const bad = (message: string, expected: Json, found: Json) => this.breach('bad-seal', seq, bytes, seal, message, expected, found)
    if (seal.length !== seq) return bad(`the seal at #${seq} claims to cover ${seal.length} entries`, seq, seal.length)
    const treeHash = toHex(await this.logs.index.treeHash(seq))
    if (toHex(seal.treeHash) !== treeHash) return bad(`the seal's tree hash is not the index log's at length ${seq}`, treeHash, toHex(seal.treeHash))
    const peaks = this.peaks.map(toHex)
    if (seal.peaks.length !== peaks.length || seal.peaks.some((p, i) => toHex(p) !== peaks[i])) {
      return bad(`the seal's accumulator peaks are not the index log's at length ${seq}`, peaks, seal.peaks.map(toHex))
    }
    const root = toHex(this.view.state.root())
    if (toHex(seal.stateRoot) !== root) return bad(`the seal's state root is not the root after the entries it covers`, root, toHex(seal.stateRoot))
    const positions = toHex(positionsHash(this.view.lastSeq))
    if (toHex(seal.positions) !== positions) return bad(`the seal's oplog positions are not where the entries it covers leave the oplogs`, positions, toHex(seal.positions))
    if (!sealSignedBy(seal, this.logs.index.key, this.signer)) return bad('the seal is not signed by the index log key', toHex(this.signer), toHex(seal.signature))
    if (seal.handover) {
      const wrong = await this.unnamedHandover(seal.handover)
      if (wrong) return this.breach('unnamed-handover', seq, bytes, seal, wrong.message, wrong.named, toHex(seal.handover))
    }
    this.view.fold(seal)
    return null
  }

  /**
   * A handover seal must name the standby the contract names on the state it seals, when the
   * contract names one (docs/protocol.md §18.4): only that instance may take over.
   */
  private async unnamedHandover(instance: Uint8Array): Promise<{ message: string; named: string | null } | null> {
    if (!this.vm) return null
    await this.vm.ready()
    const named = namedStandby(this.vm, this.view.state)
    if (named === undefined || named === toHex(instance)) return null
    return { message: `the handover seal names instance ${short(toHex(instance))}, but the contract names ${named ? `the standby ${short(named)}` : 'no standby'}`, named }
  }

  private async checkOp(seq: number, bytes: Uint8Array, entry: IndexEntry): Promise<Verdict> {
    if (entry.type === 'seal') {
      if (!this.fork) return this.checkSeal(seq, bytes, entry)
      this.view.fold(entry)
      await this.fork.onStep(seq, { kind: 'seal', stateRoot: this.view.state.root(), positions: this.view.lastSeq })
      return null
    }
    if (entry.type !== 'op') {
      return this.breach('entry-without-op', seq, bytes, entry, `a ${entry.type} entry after genesis`, 'an op entry', entry.type)
    }
    const { ack } = entry
    if (!this.view.isInput(ack.origin)) {
      if (this.fork) {
        // Under the fork's code this oplog is no input, so its executor would never take this op.
        this.view.length++
        await this.fork.onStep(seq, { kind: 'not-an-input', published: entry })
        return null
      }
      return this.breach('not-an-input', seq, bytes, entry, `oplog ${short(ack.origin)} is not an active input`, this.view.inputs(), ack.origin)
    }
    const expectedSeq = this.view.nextSeq(ack.origin)
    if (ack.seq !== expectedSeq) {
      const cls: BreachClass = ack.seq > expectedSeq ? 'op-skipped' : 'op-out-of-order'
      const what = ack.seq > expectedSeq ? `skips op(s) ${expectedSeq}..${ack.seq - 1}` : `repeats or reorders op ${ack.seq}`
      return this.breach(cls, seq, bytes, entry, `the ack of op ${ack.seq} of oplog ${short(ack.origin)} ${what}`, expectedSeq, ack.seq)
    }
    if (this.lastTs !== null && ack.ts < this.lastTs) {
      const what = `the ack's ts ${ack.ts} is earlier than ${this.lastTs}, the previous op entry's (timestamps never go backwards)`
      return this.breach('ts-backwards', seq, bytes, entry, what, `>= ${this.lastTs}`, ack.ts)
    }
    const floor = this.tsFloor
    if (floor && seq >= floor.from && ack.ts < floor.ts) {
      const what = `the ack's ts ${ack.ts} is earlier than ${floor.ts}, the time ${floor.why} (entries after it were acknowledged after it)`
      return this.breach('ts-backwards', seq, bytes, entry, what, `>= ${floor.ts}`, ack.ts)
    }
    const oplog = await this.logs.oplog(ack.origin)
    if (this.logs.reach) await this.logs.reach(oplog, ack.oplogLength, ack.seq)
    if (ack.oplogLength > oplog.length) {
      const what = `oplog ${short(ack.origin)} is ${oplog.length} long, but the ack of op ${ack.seq} claims it was ${ack.oplogLength}`
      return this.breach('entry-without-op', seq, bytes, entry, what, `oplogLength <= ${oplog.length}`, ack.oplogLength)
    }
    const oplogHash = await this.oplogRoot(ack.origin, oplog, ack.oplogLength)
    if (oplogHash !== toHex(ack.oplogHash)) {
      // A participant that rewrote its own log (Hypercore counts truncations in `fork`) is the one
      // in breach; otherwise the executor acknowledged an op the participant never signed.
      const cls: BreachClass = oplog.fork > 0 ? 'oplog-forked' : 'ack-mismatch'
      const notice = this.breach(cls, seq, bytes, entry, `the ack's oplog hash differs from oplog ${short(ack.origin)} at length ${ack.oplogLength}`, oplogHash, toHex(ack.oplogHash))
      if (cls !== 'oplog-forked') return notice
      // The two roots for one length: the one the executor signed into its ack, and the oplog's own.
      const before = { length: ack.oplogLength, hash: toHex(ack.oplogHash), signature: null }
      return { ...notice, evidence: { ...notice.evidence, before, after: await signedRoot(oplog) } }
    }
    // Fold the recomputed entry into the replay state (which gives its post-state root); if it is
    // not the published one byte for byte, undo that and report why.
    const block = await oplog.get(ack.seq)
    if (!block) throw new VerifyError('OP_UNAVAILABLE', `op ${ack.seq} of oplog ${short(ack.origin)} is not available`)
    const vm = this.requireVM()
    if (!vm.isReady) await vm.ready()
    const undo: Undo[] = []
    const lastSeq = this.view.lastSeq.get(ack.origin)
    const view = this.view
    const opBytes = this.logs.keyring ? opened(await openOp(this.logs.keyring, oplog, block)) : block
    const result = recompute(vm, entry, bytes, opBytes, view.state, this.systemKeys, (draft) => {
      view.fold(draft, undo)
      return view.state.root()
    })
    if (!result.diagnosis || this.fork) {
      this.lastTs = ack.ts
      await this.fork?.onStep(seq, { kind: 'op', published: entry, expected: result.expected, op: block })
      await this.followSystemChanges(result.expected.changes)
      return null
    }
    this.view.state.revert(undo)
    this.view.forgetOps([result.draft], seq, new Map([[ack.origin, lastSeq]]))
    const d = result.diagnosis
    return this.breach(d.class, seq, bytes, entry, d.message, d.expected, d.found)
  }

  /** The oplog's tree hash at `length`; consecutive acks of a block share one, so the last is kept. */
  private async oplogRoot(origin: string, oplog: Hypercore, length: number): Promise<string> {
    const cached = this.lastRoot.get(origin)
    if (cached && cached.length === length) return cached.hash
    const hashAt = toHex(await oplog.treeHash(length))
    this.lastRoot.set(origin, { length, hash: hashAt })
    return hashAt
  }

  private async followSystemChanges(changes: readonly Change[]): Promise<void> {
    for (const c of changes) {
      if (c.key === SYS.source && c.type === 'put' && typeof c.value === 'string') await this.loadVM(c.value)
    }
  }

  private async loadVM(source: string): Promise<void> {
    const next = await ContractVM.create(source)
    this.vm?.dispose()
    this.vm = next
  }

  private requireVM(): ContractVM {
    if (!this.vm) throw new VerifyError('NO_CONTRACT', 'no contract is loaded (genesis not verified)')
    return this.vm
  }

  /** A confidential database's header: its members' replay checks the epochs (docs/protocol.md §17.4). */
  private noteHeader(header: HeaderEntry): void {
    if (header.confidential && this.logs.keyring && !this.epochRule) this.epochRule = new EpochRule(this.logs.keyring, header.confidential, toHex(this.signer))
  }

  /** After a verified seal: the next block's readers are the members now. */
  private async epochBlockStart(seq: number, bytes: Uint8Array, seal: IndexEntry): Promise<Verdict> {
    const wrong = await this.epochRule?.blockStart(this.view.inputs())
    return wrong ? this.breach('sealed-to-outsider', seq, bytes, seal, wrong, 'entries sealed for the members of their block alone', 'an entry sealed for others too') : null
  }

  private breach(cls: BreachClass, seq: number, bytes: Uint8Array, entry: IndexEntry | null, message: string, expected: Json, found: Json): BreachNotice {
    const extra = entry?.type === 'op' ? { oplog: entry.ack.origin, opSeq: entry.ack.seq } : {}
    return {
      class: cls,
      seq,
      path: entry ? entryPath(entry) : null,
      message,
      expected,
      found,
      evidence: {
        index: this.indexKey,
        indexLength: seq + 1,
        indexHash: '',
        entryHash: toHex(hash(bytes)),
        ...extra,
      },
    }
  }
}

/** Fills in the signed root covering a notice's entry (kept out of the per-entry path). */
export async function attachIndexHash(notice: BreachNotice, index: Hypercore): Promise<BreachNotice> {
  if (notice.evidence.indexHash) return notice
  const hashAt = toHex(await index.treeHash(notice.evidence.indexLength))
  return { ...notice, evidence: { ...notice.evidence, indexHash: hashAt } }
}

function short(hex: string): string {
  return hex.slice(0, 8) + '…'
}
