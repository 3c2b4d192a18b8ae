import { GlassboxError } from '../../errors.js'

/** A state proof or witness that does not verify; `code` is STATE_PROOF_INVALID. */
export class StateProofError extends GlassboxError {}

/**
 * A read or change that needs a part of the state a witness pruned (a gap): the witness is
 * incomplete for the op, which says nothing about the executor. `code` is WITNESS_GAP.
 */
export class WitnessGapError extends GlassboxError {}

/** A read the state store answered wrongly (a value the state root does not commit to, or none). */
export { StoreIntegrityError } from '../../errors.js'
