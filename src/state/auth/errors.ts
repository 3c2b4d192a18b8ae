import { GlassboxError } from '../../errors.js'

/** A state proof or witness that does not verify; `code` is STATE_PROOF_INVALID. */
export class StateProofError extends GlassboxError {}

/**
 * A read or change that needs a part of the state a witness pruned (a gap): the witness is
 * incomplete for the op, which says nothing about the executor. `code` is WITNESS_GAP.
 */
export class WitnessGapError extends GlassboxError {}

/**
 * A value the state store should hold is missing or is not the one the state root commits to
 * (`STATE_STORE_MISSING`, `STATE_STORE_CORRUPT`); reloading the database rebuilds the store from the log.
 */
export class StoredValueError extends GlassboxError {}
