// Fraud proofs (docs/protocol.md, "Fraud proofs and the judge"): a breach turned into a compact,
// self-contained file that anyone holding only the database key can check with `judge`, without the
// logs. Built by a monitor from the logs it replayed, at the pre-state of the offending entry.

import type Hypercore from 'hypercore'
import { fromHex, toHex } from '../codec/hash.js'
import { decodeEntry, encodeEntry, SYS, type IndexEntry, type SealEntry } from '../codec/messages.js'
import { proveInclusion } from '../log/merkle.js'
import { sealSignedBy } from '../log/seal.js'
import type { Keyring } from '../confidential/keyring.js'
import { discloseOp } from '../confidential/op-envelope.js'
import { proveEntry, signedSealAt, type EntryProof, type OpProof, type SignedSeal } from '../log/sealed-entry.js'
import { recordAccess } from '../state/auth/access.js'
import type { AuthMap } from '../state/auth/auth-map.js'
import type { Witness } from '../state/auth/proof-types.js'
import { proveWitness } from '../state/auth/prove.js'
import type { ContractVM } from '../vm/index.js'
import type { BreachClass, BreachNotice } from './breach.js'
import { recomputeDraft } from './recompute.js'

export const FRAUD_PROOF_FORMAT = 'glassbox-proof/1'

/** Classes a monitor finds by recomputing one op entry: proven by re-executing that op. */
export const EXECUTION_CLASSES = ['wrong-outcome', 'changes-mismatch', 'wrong-root', 'unexplained-switch', 'ack-mismatch'] as const
export type ExecutionClass = (typeof EXECUTION_CLASSES)[number]

/** Classes with a fraud proof (ack-mismatch only in its metadata variants). */
export const PROVABLE_CLASSES: readonly BreachClass[] = [...EXECUTION_CLASSES, 'bad-seal', 'index-rewritten', 'ts-backwards']

/** Why the other classes have none: each needs more than a few signed statements of the executor. */
export const UNPROVABLE: Partial<Record<BreachClass, string>> = {
  'malformed-genesis': 'a malformed genesis is seen by reading the first entries; there is nothing to re-execute',
  'malformed-entry': 'an undecodable entry carries no claim to refute',
  'entry-without-op': "showing an op does not exist needs the participant's whole signed oplog",
  'op-skipped': 'showing an op was skipped needs every entry since the previous ack of that oplog',
  'op-out-of-order': 'showing an op was acknowledged twice needs both acks and every entry between them',
  'not-an-input': 'needs a state proof of the input set at the pre-state, which the proof format does not carry yet',
  'oplog-forked': 'a participant, not the executor, rewrote its log: the evidence is the two participant roots in the notice',
  'index-truncated': 'a shorter log is not a second signed statement: the evidence is the root seen before',
  'sealed-to-outsider': "the evidence is the entry's envelope, the keys log's record of its epoch and the input set of its block, which the proof format does not carry yet",
  'unnamed-handover': "the evidence is the state the contract's standby() reads at the seal, which the proof format does not carry yet",
}

interface ProofBase {
  format: typeof FRAUD_PROOF_FORMAT
  kind: 'fraud'
  class: BreachClass
  /** The database key (the index log's public key), hex. */
  key: string
  /** Index position of the offending entry (for a fork: the length both seals cover). */
  seq: number
  /** The monitor's description; informative only, the judge derives its own. */
  message: string
}

/** An op entry that is not what its op gives: everything needed to re-execute that op alone. */
export interface ExecutionProof extends ProofBase {
  class: ExecutionClass
  /** A seal covering the entry (the first after it): what the entry proofs below are anchored to. */
  anchor: SignedSeal
  /** Entry 0: the runtime the database was made with. */
  header: EntryProof
  /** Entry seq - 1, whose state root is the pre-state root. */
  previous: EntryProof
  /** The offending op entry. */
  entry: EntryProof
  /** The op's bytes and its inclusion in the oplog at the ack's length (tree hash: ack.oplogHash); for a confidential database, its block key. */
  op: OpProof
  /** At the pre-state root: the contract source, every read and listing of the op, its changes' paths. */
  witness: Witness
}

/**
 * A seal that contradicts the log it signs: `entry` is either the seal itself (under a later
 * anchor) claiming a length other than its position, or the entry before `anchor` whose state root
 * is not the anchor's.
 */
export interface SealProof extends ProofBase {
  class: 'bad-seal'
  anchor: SignedSeal
  entry: EntryProof
}

/** Two seals the executor signed for one length with different tree hashes or state roots. */
export interface ForkProof extends ProofBase {
  class: 'index-rewritten'
  seals: [SignedSeal, SignedSeal]
}

/**
 * Two op entries under one seal, the later with a smaller ts: acks never go backwards, so any
 * such pair proves the breach (the monitor gives the offending entry and the op entry before it).
 */
export interface TsProof extends ProofBase {
  class: 'ts-backwards'
  anchor: SignedSeal
  /** An op entry before `entry`. */
  earlier: EntryProof
  /** The op entry whose ack's ts is smaller than `earlier`'s. */
  entry: EntryProof
}

export type FraudProof = ExecutionProof | SealProof | ForkProof | TsProof

export type BuiltProof = { proof: FraudProof; reason: null } | { proof: null; reason: string }

/** What a monitor holds when it finds a breach: its logs and its replay state at the pre-state. */
export interface ProofSource {
  index: Hypercore
  oplog(pubkey: string): Promise<Hypercore>
  /** The index log's signer (Ed25519 public key). */
  signer: Uint8Array
  /** The state before the offending entry. */
  state: AuthMap
  /** The contract active before the offending entry. */
  vm: ContractVM | null
  /** Whether the replay state is at the notice's entry (false for a breach found in an earlier run). */
  atPreState: boolean
  /** The last seal the monitor verified before a rewrite (position and canonical bytes, hex). */
  sealSeen?: { position: number; seal: string } | null
  /** A confidential database: the epoch keys that open (and disclose) its ops (docs/protocol.md §17.6). */
  keyring?: Keyring
}

const none = (reason: string): BuiltProof => ({ proof: null, reason })

/** Builds the fraud proof of `notice`, or says why there is none. */
export async function buildFraudProof(src: ProofSource, notice: BreachNotice): Promise<BuiltProof> {
  const base = { format: FRAUD_PROOF_FORMAT, kind: 'fraud', key: toHex(src.index.key), seq: notice.seq, message: notice.message } as const
  if (notice.class === 'index-rewritten') return proveRewrite(src, base)
  if (notice.class === 'bad-seal') return proveBadSeal(src, notice, base)
  if (notice.class === 'ts-backwards') return proveTsBackwards(src, notice, base)
  if (!(EXECUTION_CLASSES as readonly string[]).includes(notice.class)) return none(`${notice.class} has no fraud proof: ${UNPROVABLE[notice.class] ?? 'not provable compactly'}`)
  if (!src.atPreState) return none('the breach was found in an earlier run; verify again without the checkpoint to build its proof')
  const p = notice.seq
  const entry = await entryAt(src.index, p)
  if (entry?.type !== 'op') return none(`entry ${p} is not an op entry`)
  const previous = await entryAt(src.index, p - 1)
  if (!previous || (previous.type !== 'op' && previous.type !== 'seal')) return none(`entry ${p - 1} carries no state root`)
  if (toHex(previous.stateRoot) !== toHex(src.state.root())) return none(`the replay state is not the state before entry ${p}`)
  const { ack } = entry
  const oplog = await src.oplog(ack.origin)
  if (ack.oplogLength > oplog.length || toHex(await oplog.treeHash(ack.oplogLength)) !== toHex(ack.oplogHash)) {
    return none("the ack names an oplog root the participant never signed: showing that needs the participant's signed log, not a compact proof")
  }
  const stored = await oplog.get(ack.seq)
  if (!stored) return none(`op ${ack.seq} of oplog ${ack.origin.slice(0, 8)}… is not available`)
  // A confidential database's op is disclosed with its block key: this op, and no other, is opened.
  const disclosed = src.keyring ? await discloseOp(src.keyring, oplog, stored) : null
  if (src.keyring && !disclosed) return none('the op does not open under the database\'s keys: showing that would take an epoch key, not a compact proof')
  const opBytes = disclosed ? disclosed.bytes : stored
  const vm = src.vm
  if (!vm) return none('no contract is loaded')
  const anchor = await anchorAfter(src, p)
  if (!anchor) return none(`no validly signed seal covers entry ${p} yet (a proof is anchored to the first seal after the entry)`)
  // The honest re-execution, recorded: the witness must cover exactly what it reads.
  const { reader, access } = recordAccess(src.state)
  if (!vm.isReady) await vm.ready()
  const draft = recomputeDraft(vm, entry, opBytes, reader, { index: toHex(src.index.key), signer: toHex(src.signer) })
  const witness = proveWitness(src.state, { reads: [SYS.source, ...access.reads], lists: access.lists }, draft.changes)
  const proof: ExecutionProof = {
    ...base,
    class: notice.class as ExecutionClass,
    anchor: anchor.signed,
    header: await proveEntry(src.index, 0, anchor.length),
    previous: await proveEntry(src.index, p - 1, anchor.length),
    entry: await proveEntry(src.index, p, anchor.length),
    op: { bytes: toHex(stored), inclusion: await proveInclusion(oplog, ack.seq, ack.oplogLength), ...(disclosed ? { blockKey: disclosed.blockKey } : {}) },
    witness,
  }
  return { proof, reason: null }
}

/** The proof of a fork: the seal signed before a rewrite and the one at the same length now. */
export function forkProof(key: string, a: SignedSeal, b: SignedSeal, message = 'two seals signed for one length'): ForkProof {
  const first = decodeEntry(fromHex(a.seal))
  const seq = first.type === 'seal' ? first.length : -1
  return { format: FRAUD_PROOF_FORMAT, kind: 'fraud', class: 'index-rewritten', key, seq, message, seals: [a, b] }
}

type Base = Omit<ProofBase, 'class'>

async function proveBadSeal(src: ProofSource, notice: BreachNotice, base: Base): Promise<BuiltProof> {
  const s = notice.seq
  const seal = await entryAt(src.index, s)
  if (seal?.type !== 'seal') return none(`entry ${s} is not a seal`)
  if (seal.length !== s) {
    // The seal lies about where it sits: prove it under a later, valid seal.
    const anchor = await anchorAfter(src, s)
    if (!anchor) return none(`no validly signed seal after entry ${s} covers the bad seal yet`)
    return { proof: { ...base, class: 'bad-seal', anchor: anchor.signed, entry: await proveEntry(src.index, s, anchor.length) }, reason: null }
  }
  // The seal signs a state root that the entry before it contradicts: prove that entry under the seal.
  const previous = await entryAt(src.index, s - 1)
  if (!previous || (previous.type !== 'op' && previous.type !== 'seal')) return none(`entry ${s - 1} carries no state root (a genesis seal's root is checked by replaying genesis)`)
  if (toHex(previous.stateRoot) === toHex(seal.stateRoot)) return none(`the seal at ${s} signs the state root of entry ${s - 1}: its fault (${notice.message}) needs the log itself`)
  const anchor = await validSeal(src, s)
  if (!anchor) return none(`the seal at ${s} is not validly signed over the log before it: only the log itself shows that`)
  return { proof: { ...base, class: 'bad-seal', anchor: anchor.signed, entry: await proveEntry(src.index, s - 1, s) }, reason: null }
}

/** Needs only the signed log, not the replay state (no op is re-executed). */
async function proveTsBackwards(src: ProofSource, notice: BreachNotice, base: Base): Promise<BuiltProof> {
  const p = notice.seq
  const entry = await entryAt(src.index, p)
  if (entry?.type !== 'op') return none(`entry ${p} is not an op entry`)
  let at = p - 1
  let earlier = await entryAt(src.index, at)
  while (earlier?.type === 'seal') earlier = await entryAt(src.index, --at)
  if (earlier?.type !== 'op') return none(`no op entry precedes entry ${p}`)
  if (entry.ack.ts >= earlier.ack.ts) return none(`entry ${p}'s ts is not earlier than entry ${at}'s`)
  const anchor = await anchorAfter(src, p)
  if (!anchor) return none(`no validly signed seal covers entry ${p} yet (a proof is anchored to the first seal after the entry)`)
  const proof: TsProof = {
    ...base,
    class: 'ts-backwards',
    anchor: anchor.signed,
    earlier: await proveEntry(src.index, at, anchor.length),
    entry: await proveEntry(src.index, p, anchor.length),
  }
  return { proof, reason: null }
}

async function proveRewrite(src: ProofSource, base: Base): Promise<BuiltProof> {
  const seen = src.sealSeen
  if (!seen) return none('the monitor kept no seal from before the rewrite (checkpoints before this version do not)')
  const old = decodeHex(seen.seal)
  if (old?.type !== 'seal') return none('the kept seal does not decode as a seal')
  const now = seen.position < src.index.length ? await src.index.get(seen.position) : null
  if (!now) return none(`the rewritten log has no entry ${seen.position} to compare with the seal seen there`)
  const entry = decodeHex(toHex(now))
  if (entry?.type !== 'seal' || entry.length !== old.length) return none(`the rewritten log holds no seal for length ${old.length} at ${seen.position}`)
  if (toHex(entry.treeHash) === toHex(old.treeHash) && toHex(entry.stateRoot) === toHex(old.stateRoot)) {
    return none(`the seal for length ${old.length} is the same in both logs: the rewrite is after it`)
  }
  if (!sealSignedBy(entry, src.index.key, src.signer)) return none(`the seal at ${seen.position} of the rewritten log is not validly signed`)
  const signer = toHex(src.signer)
  const message = `two seals signed for length ${old.length}: tree hash ${toHex(old.treeHash).slice(0, 8)}… then ${toHex(entry.treeHash).slice(0, 8)}…`
  return { proof: forkProof(base.key, { signer, seal: seen.seal }, { signer, seal: toHex(now) }, message), reason: null }
}

/** The first seal after `position` that is signed and signs the log's tree hash at its length. */
async function anchorAfter(src: ProofSource, position: number): Promise<{ signed: SignedSeal; length: number } | null> {
  for (let at = position + 1; at < src.index.length; at++) {
    const e = await entryAt(src.index, at)
    if (e?.type !== 'seal') continue
    const ok = await validSeal(src, at)
    if (ok) return ok
  }
  return null
}

/** The seal at `at`, if it sits at its length, is signed, and signs the log's tree hash there. */
async function validSeal(src: ProofSource, at: number): Promise<{ signed: SignedSeal; length: number } | null> {
  const e = await entryAt(src.index, at)
  if (e?.type !== 'seal' || e.length !== at || e.length > src.index.length) return null
  if (!sealSignedBy(e, src.index.key, src.signer)) return null
  if (toHex(await src.index.treeHash(e.length)) !== toHex(e.treeHash)) return null
  return { signed: await signedSealAt(src.index, at, src.signer), length: e.length }
}

function decodeHex(hex: string): IndexEntry | null {
  try {
    return decodeEntry(fromHex(hex))
  } catch {
    return null
  }
}

async function entryAt(index: Hypercore, position: number): Promise<IndexEntry | null> {
  if (position < 0 || position >= index.length) return null
  const block = await index.get(position)
  if (!block) return null
  try {
    return decodeEntry(block)
  } catch {
    return null
  }
}

/** The canonical bytes of a seal, hex (for a monitor keeping the last seal it verified). */
export function sealHex(seal: SealEntry): string {
  return toHex(encodeEntry(seal))
}

/** The file name a proof is written under: `<entry>-<class>.json`. */
export function proofFileName(proof: FraudProof): string {
  return `${proof.seq}-${proof.class}.json`
}
