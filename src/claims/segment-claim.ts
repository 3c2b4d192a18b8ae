// Segment claims (docs/protocol.md §14.4): a verifier that validated a segment of a database's
// history from one state checkpoint to the next signs what it found: the database, the positions
// [from, to) it replayed, the state root and seal it started from and ended at, and the result.
// Claims from many machines, each validating a share, add up to a validation of the whole history
// once they chain (coverage.ts). The signature is over the claim's canonical encoding. Browser-safe.

import { encode } from '../codec/canonical.js'
import { fromHex, toHex } from '../codec/hash.js'
import { PROTOCOL } from '../codec/messages.js'
import { sign, verifySignature } from '../codec/sign.js'
import { GlassboxError } from '../errors.js'

export const SEGMENT_CLAIM_FORMAT = 'glassbox-segment-claim/1'

/** One end of a segment: entries before it, the state root there, and the hash of the seal there (null at genesis or an unsealed head). */
export interface SegmentClaimEnd {
  length: number
  stateRoot: string
  seal: string | null
}

export interface SegmentClaim {
  format: typeof SEGMENT_CLAIM_FORMAT
  /** The database key (hex). */
  database: string
  /** The index positions replayed: [from, to). */
  from: number
  to: number
  start: SegmentClaimEnd
  /** Where the replay ended: `to` when valid, else the breach's position. */
  end: SegmentClaimEnd
  result: 'valid' | 'breach'
  /** With a breach: its class and the offending entry's position. */
  breach: { class: string; seq: number } | null
  /** When the verifier signed, in POSIX seconds. */
  time: number
  /** The verifier's Ed25519 public key (hex). */
  verifier: string
  /** Its signature of the claim's canonical encoding (hex). */
  signature: string
}

export type SegmentClaimBody = Omit<SegmentClaim, 'signature' | 'format' | 'verifier'>

export class SegmentClaimError extends GlassboxError {}

const end = (e: SegmentClaimEnd) => ({ length: e.length, stateRoot: fromHex(e.stateRoot), seal: e.seal === null ? null : fromHex(e.seal) })

/** The bytes a segment claim's signature signs. */
export function segmentClaimSignable(c: Omit<SegmentClaim, 'signature'>): Uint8Array {
  return encode({
    protocol: PROTOCOL,
    type: 'segment-claim',
    format: c.format,
    database: fromHex(c.database),
    from: c.from,
    to: c.to,
    start: end(c.start),
    end: end(c.end),
    result: c.result,
    breach: c.breach === null ? null : { class: c.breach.class, seq: c.breach.seq },
    time: c.time,
    verifier: fromHex(c.verifier),
  })
}

/** Signs a segment claim with the verifier's key pair (libsodium's 64-byte secret key: seed, then public key). */
export function signSegmentClaim(body: SegmentClaimBody, secretKey: Uint8Array): SegmentClaim {
  const unsigned = { format: SEGMENT_CLAIM_FORMAT, ...body, verifier: toHex(secretKey.subarray(32)) } as const
  return { ...unsigned, signature: toHex(sign(segmentClaimSignable(unsigned), secretKey)) }
}

const HEX32 = /^[0-9a-f]{64}$/
const HEX64 = /^[0-9a-f]{128}$/
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const FIELDS = ['format', 'database', 'from', 'to', 'start', 'end', 'result', 'breach', 'time', 'verifier', 'signature']

/** Checks a segment claim's shape and signature; throws SegmentClaimError saying what is wrong. */
export function checkSegmentClaim(value: unknown): SegmentClaim {
  const malformed = (why: string) => new SegmentClaimError('SEGMENT_CLAIM_MALFORMED', `not a segment claim: ${why}`)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('not an object')
  const c = value as Record<string, unknown>
  if (c.format !== SEGMENT_CLAIM_FORMAT) throw malformed(`its format is ${JSON.stringify(c.format)}, not ${SEGMENT_CLAIM_FORMAT}`)
  const extra = Object.keys(c).filter((k) => !FIELDS.includes(k))
  if (extra.length > 0) throw malformed(`unexpected field(s) ${extra.join(', ')}`)
  for (const k of ['database', 'verifier']) if (typeof c[k] !== 'string' || !HEX32.test(c[k] as string)) throw malformed(`${k} must be 64 lowercase hex characters`)
  if (typeof c.signature !== 'string' || !HEX64.test(c.signature)) throw malformed('signature must be 128 lowercase hex characters')
  for (const k of ['from', 'to', 'time']) if (!count(c[k])) throw malformed(`${k} must be a whole number >= 0`)
  if ((c.from as number) >= (c.to as number)) throw malformed('from must be below to')
  for (const k of ['start', 'end'] as const) {
    const e = c[k] as Record<string, unknown> | null
    if (typeof e !== 'object' || e === null || Object.keys(e).sort().join() !== 'length,seal,stateRoot') throw malformed(`${k} must be {length, stateRoot, seal}`)
    if (!count(e.length) || typeof e.stateRoot !== 'string' || !HEX32.test(e.stateRoot) || !(e.seal === null || (typeof e.seal === 'string' && HEX32.test(e.seal)))) throw malformed(`${k} has a bad length, stateRoot or seal`)
  }
  if ((c.start as SegmentClaimEnd).length !== c.from) throw malformed('start.length must be from')
  if (c.result === 'valid') {
    if (c.breach !== null || (c.end as SegmentClaimEnd).length !== c.to) throw malformed('a valid segment ends at to, with no breach')
  } else if (c.result === 'breach') {
    const b = c.breach as Record<string, unknown> | null
    if (typeof b !== 'object' || b === null || typeof b.class !== 'string' || !count(b.seq) || Object.keys(b).length !== 2) throw malformed('a breach result names {class, seq}')
  } else throw malformed('result must be "valid" or "breach"')
  const claim = c as unknown as SegmentClaim
  if (!verifySignature(fromHex(claim.signature), segmentClaimSignable(claim), fromHex(claim.verifier))) {
    throw new SegmentClaimError('SEGMENT_CLAIM_INVALID', `the segment claim [${claim.from}, ${claim.to}) is not signed by verifier ${claim.verifier.slice(0, 8)}…`)
  }
  return claim
}
