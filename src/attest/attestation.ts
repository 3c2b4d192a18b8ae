// Executor attestations (docs/protocol.md §15, seed 004): evidence from a party other than the
// executor that the executor's key lives in a known runtime, such as a TEE quote whose report data
// commits to the database, the executor's key and the Glassbox runtime. What the evidence is depends
// on its kind; checking it is left to a verifier of that kind, given by the caller. This file checks
// everything else: the format, and that the attestation is bound to this database and executor.
// Browser-safe (no Node API beyond the platform seam).

import { encode } from '../codec/canonical.js'
import { fromHex, hash, isPubkeyHex, toHex } from '../codec/hash.js'
import { PROTOCOL } from '../codec/messages.js'
import { GlassboxError } from '../errors.js'
import { keyOfSigner } from '../log/seal.js'

export const ATTESTATION_FORMAT = 'glassbox-attestation/1'

/** What an attestation vouches for: this executor key runs this database with this runtime. */
export interface AttestationBinding {
  /** The database key (hex). */
  database: string
  /** The executor's key: the index log's signer (hex). */
  executor: string
  /** The contract runtime the executor runs (RUNTIME_ID). */
  runtime: string
}

export interface Attestation {
  format: typeof ATTESTATION_FORMAT
  /** Which verifier checks `evidence`: e.g. a TEE vendor's quote format, or `software-test`. */
  kind: string
  binding: AttestationBinding
  /** BLAKE2b-256 of the binding's canonical form (hex): what the evidence must commit to. */
  reportData: string
  /** The kind's evidence (a quote, a certificate chain, a signature), as text. */
  evidence: string
  /** When the attestation was made (ISO 8601), as the attester says. */
  issuedAt: string
}

/** What a verifier of one kind found in an attestation's evidence. */
export interface EvidenceCheck {
  /** The measured runtime identity (e.g. an enclave measurement), hex. */
  measurement: string
  /** Who vouches: the key or certificate that signed the evidence. */
  attester: string
}

/** Checks the evidence of one kind; throws AttestationError saying why it does not hold. */
export interface AttestationVerifier {
  readonly kind: string
  /** True only for hardware-backed evidence. A software attester is never a TEE. */
  readonly tee: boolean
  check(attestation: Attestation): Promise<EvidenceCheck>
}

export interface VerifiedAttestation extends EvidenceCheck {
  kind: string
  tee: boolean
  binding: AttestationBinding
  issuedAt: string
}

export class AttestationError extends GlassboxError {}

/** The report data an attestation's evidence must commit to. */
export function bindingHash(b: AttestationBinding): Uint8Array {
  return hash(encode({ protocol: PROTOCOL, kind: 'attestation', database: b.database, executor: b.executor, runtime: b.runtime }))
}

/**
 * Checks an attestation about `expected.database` (and, when given, `expected.executor` and
 * `expected.runtime`) with the verifier of its kind among `verifiers`; throws AttestationError.
 */
export async function verifyAttestation(
  value: unknown,
  expected: { database: string; executor?: string; runtime?: string },
  verifiers: readonly AttestationVerifier[],
): Promise<VerifiedAttestation> {
  const a = checkShape(value)
  const b = a.binding
  if (b.database !== expected.database) throw new AttestationError('ATTESTATION_OTHER_DATABASE', `the attestation is about database ${b.database.slice(0, 8)}…, not ${expected.database.slice(0, 8)}…`)
  // The database key is derived from its executor's: an attestation of another key is not of this executor.
  if (toHex(keyOfSigner(fromHex(b.executor))) !== b.database) {
    throw new AttestationError('ATTESTATION_OTHER_EXECUTOR', `the attestation binds executor key ${b.executor.slice(0, 8)}…, which is not the key database ${b.database.slice(0, 8)}… is derived from`)
  }
  if (expected.executor !== undefined && b.executor !== expected.executor) {
    throw new AttestationError('ATTESTATION_OTHER_EXECUTOR', `the attestation binds executor key ${b.executor.slice(0, 8)}…, not the database's ${expected.executor.slice(0, 8)}…`)
  }
  if (expected.runtime !== undefined && b.runtime !== expected.runtime) throw new AttestationError('ATTESTATION_OTHER_RUNTIME', `the attestation is for runtime "${b.runtime}", not "${expected.runtime}"`)
  if (a.reportData !== toHex(bindingHash(b))) throw new AttestationError('ATTESTATION_INVALID', 'its report data is not the hash of its binding')
  const verifier = verifiers.find((v) => v.kind === a.kind)
  if (!verifier) throw new AttestationError('ATTESTATION_UNCHECKED', `no verifier of kind "${a.kind}" was given: its evidence cannot be checked here`)
  const found = await verifier.check(a)
  return { ...found, kind: a.kind, tee: verifier.tee, binding: b, issuedAt: a.issuedAt }
}

function checkShape(value: unknown): Attestation {
  const a = value as Attestation | null
  const bad = (why: string) => new AttestationError('ATTESTATION_MALFORMED', `not a ${ATTESTATION_FORMAT} attestation: ${why}`)
  if (typeof a !== 'object' || a === null || a.format !== ATTESTATION_FORMAT) throw bad('wrong or missing format')
  for (const field of ['kind', 'reportData', 'evidence', 'issuedAt'] as const) if (typeof a[field] !== 'string') throw bad(`${field} is not a string`)
  const b = a.binding
  if (typeof b !== 'object' || b === null || !isPubkeyHex(b.database) || !isPubkeyHex(b.executor) || typeof b.runtime !== 'string') throw bad('its binding needs database and executor keys (hex) and a runtime')
  return a
}
