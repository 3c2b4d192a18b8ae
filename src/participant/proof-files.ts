// The proof files Glassbox hands to third parties (docs/protocol.md §9): a state read and a
// transaction receipt, each anchored to one signed seal so that the database key is all a
// checker needs. JSON, bytes as lowercase hex, versioned by `format`.

import type { InclusionProof } from '../log/merkle.js'
import type { EntryProof, OpProof, SignedSeal } from '../log/sealed-entry.js'
import type { KeyProof, RangeProof } from '../state/auth/proof-types.js'

export const PROOF_FORMAT = 'glassbox-proof/1'

/** A state read: the value (or absence) of a key, or a complete key range, at a signed state root. */
export interface StateProofFile {
  format: typeof PROOF_FORMAT
  kind: 'state'
  /** The database key (the index log's key), hex. */
  key: string
  anchor: SignedSeal
  proof: KeyProof | RangeProof
}

/** One op of a call: signed by its participant, acknowledged by the executor, and what it changed. */
export interface ReceiptOp {
  /** The op's block in its oplog, and its inclusion in the oplog at the length the ack names. */
  op: OpProof
  /** The op's entry (its ack and changes) in the index log the anchor signed. */
  entry: EntryProof
  /** Proofs, at the anchor's state root, of each key the op changed. */
  state: KeyProof[]
}

export interface ReceiptFile {
  format: typeof PROOF_FORMAT
  kind: 'receipt'
  key: string
  anchor: SignedSeal
  ops: ReceiptOp[]
}

export type ProofFile = StateProofFile | ReceiptFile
