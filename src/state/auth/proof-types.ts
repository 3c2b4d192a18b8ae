// The JSON forms of state proofs (docs/protocol.md §7.4-7.7). Bytes are lowercase hex strings.
// Every proof carries `nodes`: a pruned trie written in pre-order.

import type { Json, StateEntry } from '../../vm/types.js'
import type { RangeQuery } from './range.js'

export const STATE_PROOF_VERSION = 1

/**
 * One node of a pruned trie, in pre-order: an inner node is followed by its left subtree, then its
 * right subtree.
 */
export type ProofNode =
  /** An inner node and its crit bit. */
  | { crit: number }
  /** A subtree left out, by its hash. */
  | { hash: string }
  /** A leaf with its value. */
  | { key: string; value: Json }
  /** A leaf known by its value's hash only. */
  | { key: string; valueHash: string }

/** `key` has a value at the root; the value is the leaf's in `nodes`. */
export interface MembershipProof {
  version: typeof STATE_PROOF_VERSION
  type: 'membership'
  key: string
  nodes: ProofNode[]
}

/** `key` has no value at the root. */
export interface AbsenceProof {
  version: typeof STATE_PROOF_VERSION
  type: 'absence'
  key: string
  nodes: ProofNode[]
}

export type KeyProof = MembershipProof | AbsenceProof

/** The leaves with values in `nodes` inside the range are all the entries `list` returns at the root. */
export interface RangeProof extends RangeQuery {
  version: typeof STATE_PROOF_VERSION
  type: 'range'
  nodes: ProofNode[]
}

/** A pruned trie covering what one op reads and writes: enough to re-run it and compute its post-root. */
export interface Witness {
  version: typeof STATE_PROOF_VERSION
  type: 'witness'
  nodes: ProofNode[]
}

export type StateProof = KeyProof | RangeProof | Witness

export type Invalid = { valid: false; reason: string }
export type KeyProofResult = { valid: true; key: string; value: Json | undefined } | Invalid
export type MembershipResult = { valid: true; key: string; value: Json } | Invalid
export type AbsenceResult = { valid: true; key: string } | Invalid
export type RangeResult = { valid: true; entries: StateEntry[] } | Invalid
