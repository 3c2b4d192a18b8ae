// Standalone verifiers of state proofs (docs/protocol.md §7.4-7.7). They need the proof and the
// expected root, nothing else, and never throw: a hostile proof gives { valid: false, reason }.
//
// Browser-safe apart from the hash function.

import { encode } from '../../codec/canonical.js'
import type { Json, StateEntry } from '../../vm/types.js'
import { equalBytes, hashFromHex } from './bits.js'
import { PartialTrie } from './partial-trie.js'
import {
  STATE_PROOF_VERSION,
  type AbsenceResult,
  type Invalid,
  type KeyProof,
  type KeyProofResult,
  type MembershipResult,
  type RangeProof,
  type RangeResult,
  type Witness,
} from './proof-types.js'
import { rangeQueryProblem } from './range.js'

/** A root as bytes or as 64 lowercase hex characters. */
export type RootInput = Uint8Array | string

export type WitnessResult = { valid: true; state: PartialTrie } | Invalid

const fail = (reason: string): Invalid => ({ valid: false, reason })

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Checks the fields of a proof object and parses its nodes against the root; returns the trie or why not. */
function open(proof: unknown, root: RootInput, type: string | string[], fields: string[]): PartialTrie | Invalid {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) return fail('the proof is not an object')
  const p = proof as Record<string, unknown>
  if (p.version !== STATE_PROOF_VERSION) return fail(`unsupported proof version ${JSON.stringify(p.version)}`)
  const types = Array.isArray(type) ? type : [type]
  if (typeof p.type !== 'string' || !types.includes(p.type)) return fail(`expected a ${types.join(' or ')} proof, got ${JSON.stringify(p.type)}`)
  for (const f of Object.keys(p)) if (!fields.includes(f)) return fail(`unexpected field ${JSON.stringify(f)}`)
  const expected = typeof root === 'string' ? hashFromHex(root) : root instanceof Uint8Array && root.length === 32 ? root : null
  if (!expected) return fail('the expected root must be 32 bytes or 64 lowercase hex characters')
  const trie = PartialTrie.fromNodes(p.nodes)
  if (!equalBytes(trie.rootHash(), expected)) return fail('the proof does not hash to the expected root')
  return trie
}

const isInvalid = (x: PartialTrie | Invalid): x is Invalid => !(x instanceof PartialTrie)

const KEY_FIELDS = ['version', 'type', 'key', 'nodes']

/** Verifies a membership or absence proof; on success gives the key's value (undefined: absent). */
export function verifyKeyProof(proof: KeyProof, root: RootInput): KeyProofResult {
  try {
    const trie = open(proof, root, ['membership', 'absence'], KEY_FIELDS)
    if (isInvalid(trie)) return trie
    const { key, type } = proof
    if (typeof key !== 'string' || !key.isWellFormed()) return fail('key must be a well-formed string')
    const value = trie.get(key)
    if (type === 'membership' && value === undefined) return fail(`${JSON.stringify(key)} is absent at this root`)
    if (type === 'absence' && value !== undefined) return fail(`${JSON.stringify(key)} is present at this root`)
    return { valid: true, key, value }
  } catch (err) {
    return fail(reasonOf(err))
  }
}

/** Verifies that `proof.key` has a value at `root` (equal to `value`, canonically, if given). */
export function verifyMembership(proof: KeyProof, root: RootInput, value?: Json): MembershipResult {
  try {
    if (proof?.type !== 'membership') return fail(`expected a membership proof, got ${JSON.stringify(proof?.type)}`)
    const r = verifyKeyProof(proof, root)
    if (!r.valid) return r
    if (r.value === undefined) return fail('no value')
    if (value !== undefined && !equalBytes(encode(r.value), encode(value))) return fail(`${JSON.stringify(r.key)} has another value at this root`)
    return { valid: true, key: r.key, value: r.value }
  } catch (err) {
    return fail(reasonOf(err))
  }
}

/** Verifies that `proof.key` has no value at `root`. */
export function verifyAbsence(proof: KeyProof, root: RootInput): AbsenceResult {
  try {
    if (proof?.type !== 'absence') return fail(`expected an absence proof, got ${JSON.stringify(proof?.type)}`)
    const r = verifyKeyProof(proof, root)
    return r.valid ? { valid: true, key: r.key } : r
  } catch (err) {
    return fail(reasonOf(err))
  }
}

const RANGE_FIELDS = ['version', 'type', 'prefix', 'gt', 'lt', 'limit', 'reverse', 'nodes']

/**
 * Verifies a range proof; on success gives the entries `list(prefix, {gt, lt, limit, reverse})`
 * returns at `root`, all of them (and checks them against `expected` if given).
 */
export function verifyRange(proof: RangeProof, root: RootInput, expected?: readonly StateEntry[]): RangeResult {
  try {
    const trie = open(proof, root, 'range', RANGE_FIELDS)
    if (isInvalid(trie)) return trie
    const problem = rangeQueryProblem(proof)
    if (problem) return fail(problem)
    const { prefix, gt, lt, limit, reverse } = proof
    const entries = trie.list(prefix, { gt, lt, limit, reverse })
    if (expected !== undefined) {
      if (expected.length !== entries.length) return fail(`the range holds ${entries.length} entries, not ${expected.length}`)
      for (let i = 0; i < entries.length; i++) {
        if (entries[i].key !== expected[i].key || !equalBytes(encode(entries[i].value), encode(expected[i].value))) {
          return fail(`entry ${i} of the range is ${JSON.stringify(entries[i].key)} with another value than expected`)
        }
      }
    }
    return { valid: true, entries }
  } catch (err) {
    return fail(reasonOf(err))
  }
}

/**
 * Verifies a witness against the pre-state root. On success `state` serves the reads the witness
 * covers (a StateReader; an uncovered read throws WitnessGapError) and `state.apply(changes).rootHash()`
 * is the post-state root after the op's changes.
 */
export function verifyWitness(witness: Witness, root: RootInput): WitnessResult {
  try {
    const trie = open(witness, root, 'witness', ['version', 'type', 'nodes'])
    if (isInvalid(trie)) return trie
    return { valid: true, state: trie }
  } catch (err) {
    return fail(reasonOf(err))
  }
}
