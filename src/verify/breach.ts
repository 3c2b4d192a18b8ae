// Breach notices: what a monitor publishes when the executor broke the contract or the
// append-only rule. Each names the index entry, the class, what was expected and what was found,
// and the evidence someone else needs to check it (keys, lengths, hashes).

import type { Json } from '../vm/types.js'

export const BREACH_CLASSES = {
  'malformed-genesis': 'the genesis entries are missing, out of order or malformed',
  'malformed-entry': 'an index entry does not decode',
  'entry-without-op': 'an entry that no op caused',
  'op-skipped': 'an op was skipped',
  'op-out-of-order': 'an op was processed twice or out of order',
  'not-an-input': 'an op from a log that is not an input',
  'ack-mismatch': "an ack that does not match the participant's signed log",
  'wrong-outcome': 'the op succeeded or failed against the contract',
  'changes-mismatch': 'changes that differ from what the contract produces',
  'unexplained-switch': 'a contract-source or input-set switch that the contract did not make',
  'wrong-root': 'the state root an entry claims is not the root of the state after its op',
  'bad-seal': 'a block seal that does not sign the log and the state before it',
  'ts-backwards': "an ack whose ts is earlier than the previous op entry's",
  'index-rewritten': 'the index log was rewritten (two signed roots for one length)',
  'index-truncated': 'the index log went backwards',
  'oplog-forked': 'a participant oplog was rewritten',
  'sealed-to-outsider': "a confidential entry sealed under an epoch whose key a non-member holds (or after a change of members in its block)",
  'unnamed-handover': 'a handover seal naming an instance other than the standby the contract names',
} as const

export type BreachClass = keyof typeof BREACH_CLASSES

/** The facts that let a third party check a notice against the signed logs. */
export interface BreachEvidence {
  /** The database key (index log public key), hex. */
  index: string
  /** The index length the monitor verified against, and its tree hash. */
  indexLength: number
  indexHash: string
  /** BLAKE2b-256 of the offending entry's bytes, when there is one. */
  entryHash?: string
  /** The oplog involved, the op's seq and the oplog tree hashes compared. */
  oplog?: string
  opSeq?: number
  /** Signed roots, for rewritten or forked logs: the one seen before and the one seen now. */
  before?: SignedRoot
  after?: SignedRoot
}

export interface SignedRoot {
  length: number
  hash: string
  signature: string | null
}

export interface BreachNotice {
  class: BreachClass
  /** Index log position of the offending entry (for rewrites: the first length that differs). */
  seq: number
  /** The entry's path in the layout of seed 001 §3.1, when known. */
  path: string | null
  message: string
  expected: Json
  found: Json
  evidence: BreachEvidence
}

export function describeBreach(n: BreachNotice): string {
  return `breach at index #${n.seq}${n.path ? ` (${n.path})` : ''}: ${n.class}: ${n.message}`
}
