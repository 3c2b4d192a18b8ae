// What every proof checker needs to tell a malformed file from one that proves nothing: the error
// type, its two codes, and the shape tests for JSON fields. Browser-safe.

import { GlassboxError } from '../errors.js'

/**
 * A proof that does not check out: `PROOF_MALFORMED` when it is not even shaped like one (missing or
 * ill-typed fields), `PROOF_INVALID` when it is well formed but does not prove what it claims.
 */
export class ProofError extends GlassboxError {}

export const malformedProof = (reason: string) => new ProofError('PROOF_MALFORMED', reason)
export const invalidProof = (reason: string) => new ProofError('PROOF_INVALID', reason)

/** 32 bytes as 64 lowercase hex characters (keys, hashes). */
export const HEX32 = /^[0-9a-f]{64}$/
/** Any bytes as lowercase hex. */
export const HEX = /^(?:[0-9a-f]{2})*$/

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A whole number >= 0 (positions, lengths, sizes). */
export function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}
