// Checks a state proof or a receipt with nothing but the file and, optionally, the database key
// (docs/protocol.md §9.3). Malformed files throw ProofError PROOF_MALFORMED; files that are well
// formed but prove nothing give { valid: false, reason }.

import { fromHex, toHex } from '../codec/hash.js'
import type { OpEntry, SealEntry } from '../codec/messages.js'
import { inclusionRoot } from '../log/merkle.js'
import { HEX, HEX32, invalidProof as invalid, isObject, malformedProof as malformed, ProofError } from '../log/proof-shape.js'
import { openEntry, openSeal, type SignedSeal } from '../log/sealed-entry.js'
import { verifyKeyProof, verifyRange } from '../state/auth/verify.js'
import type { KeyProof, RangeProof } from '../state/auth/proof-types.js'
import type { Change, Json, StateEntry } from '../vm/types.js'
import { PROOF_FORMAT, type ReceiptFile, type ReceiptOp, type StateProofFile } from './proof-files.js'

export interface CheckOptions {
  /** The database key the checker trusts (hex); without it, the file's own key is checked and reported. */
  key?: string
}

/** What a valid file proves. */
export interface SealFacts {
  key: string
  /** Index entries the anchor seal covers, and the state root it signs. */
  length: number
  stateRoot: string
}

/**
 * A range proof proves a listing: the first `limit` entries of the range in its direction (all of
 * them without a limit). `complete` says whether that listing is the whole range: true when fewer
 * than `limit` entries came back (or no limit was set), false for a full page, after which the
 * range may hold more entries that the proof says nothing about.
 */
export interface RangeFacts {
  kind: 'range'
  prefix: string
  gt?: string
  lt?: string
  limit?: number
  reverse?: boolean
  entries: StateEntry[]
  complete: boolean
}

export type StateFacts = { kind: 'key'; key: string; found: boolean; value: Json } | RangeFacts

export interface ReceiptOpFacts {
  origin: string
  seq: number
  /**
   * The index position of the op's entry. The receipt shows the op's bytes are in its oplog at the
   * length and root the executor's ack names; it holds no signature of the participant (monitors
   * that replicate the oplog check that), so it cannot tell a participant's op from one the executor
   * made up.
   */
  position: number
  success: boolean
  error: string | null
  changes: Change[]
  /** The value each changed key has at the anchor's state root (null: no value). */
  state: { key: string; value: Json }[]
}

export type CheckResult =
  | { valid: true; kind: 'state'; seal: SealFacts; state: StateFacts }
  | { valid: true; kind: 'receipt'; seal: SealFacts; ops: ReceiptOpFacts[] }
  | { valid: false; kind: string; reason: string }

/** checkProof(file, opts): the one entry point of `glassbox proof verify`. */
export function checkProof(file: unknown, opts: CheckOptions = {}): CheckResult {
  if (!isObject(file) || file.format !== PROOF_FORMAT) throw malformed(`not a Glassbox proof file (expected format "${PROOF_FORMAT}")`)
  const kind = String(file.kind)
  if (kind === 'fraud') throw malformed('this is a fraud proof: check it with `glassbox judge`')
  if (kind !== 'state' && kind !== 'receipt') throw malformed(`unknown proof kind ${JSON.stringify(file.kind)}`)
  const key = file.key
  if (typeof key !== 'string' || !HEX32.test(key)) throw malformed('key must be 64 hex characters')
  if (opts.key !== undefined && opts.key !== key) {
    return { valid: false, kind, reason: `the proof is for database ${key.slice(0, 8)}…, not ${opts.key.slice(0, 8)}…` }
  }
  try {
    const seal = openSeal(file.anchor as SignedSeal, key)
    const facts: SealFacts = { key, length: seal.length, stateRoot: toHex(seal.stateRoot) }
    if (kind === 'state') return { valid: true, kind, seal: facts, state: checkState(file as unknown as StateProofFile, seal) }
    return { valid: true, kind, seal: facts, ops: checkReceipt(file as unknown as ReceiptFile, seal) }
  } catch (err) {
    if (err instanceof ProofError && err.code === 'PROOF_INVALID') return { valid: false, kind, reason: err.message }
    throw err
  }
}

function checkState(file: StateProofFile, seal: SealEntry): StateFacts {
  const proof = file.proof as KeyProof | RangeProof
  if (!isObject(proof as unknown)) throw malformed('proof must be a state proof object')
  if (proof.type === 'range') {
    const r = verifyRange(proof, seal.stateRoot)
    if (!r.valid) throw invalid(`the range proof does not verify at the seal's state root: ${r.reason}`)
    const { prefix, gt, lt, limit, reverse } = proof
    const full = limit !== undefined && r.entries.length >= limit
    return {
      kind: 'range',
      prefix,
      ...(gt !== undefined ? { gt } : {}),
      ...(lt !== undefined ? { lt } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(reverse !== undefined ? { reverse } : {}),
      entries: r.entries,
      complete: !full,
    }
  }
  const type: unknown = proof.type
  if (type !== 'membership' && type !== 'absence') throw malformed(`unknown state proof type ${JSON.stringify(type)}`)
  const r = verifyKeyProof(proof, seal.stateRoot)
  if (!r.valid) throw invalid(`the state proof does not verify at the seal's state root: ${r.reason}`)
  return { kind: 'key', key: r.key, found: r.value !== undefined, value: r.value ?? null }
}

function checkReceipt(file: ReceiptFile, seal: SealEntry): ReceiptOpFacts[] {
  if (!Array.isArray(file.ops) || file.ops.length === 0) throw malformed('a receipt needs a non-empty ops array')
  return file.ops.map((op, i) => checkReceiptOp(op, seal, i))
}

function checkReceiptOp(op: ReceiptOp, seal: SealEntry, i: number): ReceiptOpFacts {
  const raw: unknown = op
  if (!isObject(raw) || !isObject(raw.op) || typeof raw.op.bytes !== 'string' || !HEX.test(raw.op.bytes) || !Array.isArray(raw.state)) {
    throw malformed(`ops[${i}] needs op {bytes, inclusion}, entry and state`)
  }
  const entry = openEntry(op.entry, seal)
  if (entry.type !== 'op') throw invalid(`ops[${i}]: index entry ${op.entry.position} is a ${entry.type} entry, not an op's`)
  const { ack } = entry
  const inclusion = op.op.inclusion
  if (!isObject(inclusion as unknown) || inclusion.index !== ack.seq || inclusion.length !== ack.oplogLength) {
    throw invalid(`ops[${i}]: the oplog proof is not for op ${ack.seq} at the length ${ack.oplogLength} the ack names`)
  }
  if (toHex(inclusionRoot(inclusion, fromHex(op.op.bytes))) !== toHex(ack.oplogHash)) {
    throw invalid(`ops[${i}]: the op is not in oplog ${ack.origin.slice(0, 8)}… at the root the executor acknowledged`)
  }
  return {
    origin: ack.origin,
    seq: ack.seq,
    position: op.entry.position,
    success: ack.success,
    error: ack.error,
    changes: (entry as OpEntry).changes,
    state: op.state.map((proof, j) => {
      const r = verifyKeyProof(proof, seal.stateRoot)
      if (!r.valid) throw invalid(`ops[${i}].state[${j}] does not verify at the seal's state root: ${r.reason}`)
      return { key: r.key, value: r.value ?? null }
    }),
  }
}
