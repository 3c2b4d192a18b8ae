// A SOFTWARE TEST attester: NOT a TEE. It signs an attestation's report data with a key of its own,
// so the attestation machinery (binding, checks, publication, refusal) can be exercised where no TEE
// hardware is. It proves only that whoever holds the attester key vouched for the binding; its
// verifier says `tee: false`, and everything that prints one says so.

import { encode } from '../codec/canonical.js'
import { fromHex, hash, toHex } from '../codec/hash.js'
import { PROTOCOL } from '../codec/messages.js'
import { sign, verifySignature } from '../codec/sign.js'
import { RUNTIME_ID } from '../vm/runtime-id.js'
import { ATTESTATION_FORMAT, AttestationError, bindingHash, type Attestation, type AttestationBinding, type AttestationVerifier, type EvidenceCheck } from './attestation.js'

export const SOFTWARE_TEST_KIND = 'software-test'

/** The evidence of a software test attestation (the `evidence` field holds it as JSON). */
interface SoftwareEvidence {
  note: string
  attester: string
  measurement: string
  signature: string
}

const NOTE = 'software test attester: not a TEE'

/** What the software attester "measures": the runtime it is told the executor runs. Nothing is measured. */
function measurementOf(runtime: string): string {
  return toHex(hash(encode({ protocol: PROTOCOL, kind: 'software-test-measurement', runtime })))
}

function signable(reportData: string, measurement: string): Uint8Array {
  return encode({ protocol: PROTOCOL, kind: 'software-test-attestation', reportData, measurement })
}

/** Makes software test attestations with `secretKey` (libsodium's 64 bytes: seed, then public key). */
export function softwareTestAttest(binding: AttestationBinding, secretKey: Uint8Array, now = new Date()): Attestation {
  const reportData = toHex(bindingHash(binding))
  const measurement = measurementOf(binding.runtime)
  const evidence: SoftwareEvidence = { note: NOTE, attester: toHex(secretKey.subarray(32)), measurement, signature: toHex(sign(signable(reportData, measurement), secretKey)) }
  return { format: ATTESTATION_FORMAT, kind: SOFTWARE_TEST_KIND, binding, reportData, evidence: JSON.stringify(evidence), issuedAt: now.toISOString() }
}

/** The binding for an executor running this Glassbox. */
export function bindingFor(database: string, executor: string): AttestationBinding {
  return { database, executor, runtime: RUNTIME_ID }
}

/** Checks software test attestations signed by one of `trusted` (hex public keys). Never a TEE. */
export class SoftwareTestVerifier implements AttestationVerifier {
  readonly kind = SOFTWARE_TEST_KIND
  readonly tee = false

  constructor(private readonly trusted: readonly string[]) {}

  async check(a: Attestation): Promise<EvidenceCheck> {
    let e: SoftwareEvidence
    try {
      e = JSON.parse(a.evidence) as SoftwareEvidence
    } catch {
      throw new AttestationError('ATTESTATION_MALFORMED', 'its software test evidence is not JSON')
    }
    if (typeof e?.attester !== 'string' || typeof e.signature !== 'string' || typeof e.measurement !== 'string') throw new AttestationError('ATTESTATION_MALFORMED', 'its software test evidence needs attester, measurement and signature')
    if (!this.trusted.includes(e.attester)) throw new AttestationError('ATTESTATION_UNTRUSTED', `attester ${e.attester.slice(0, 8)}… is not one of the trusted software test attesters`)
    if (e.measurement !== measurementOf(a.binding.runtime)) throw new AttestationError('ATTESTATION_INVALID', 'its measurement is not the one of the runtime it binds')
    if (!/^[0-9a-f]{128}$/.test(e.signature) || !verifySignature(fromHex(e.signature), signable(a.reportData, e.measurement), fromHex(e.attester))) {
      throw new AttestationError('ATTESTATION_INVALID', "the attester's signature does not hold over the report data")
    }
    return { measurement: e.measurement, attester: e.attester }
  }
}
