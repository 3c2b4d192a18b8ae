// Monitors' signed claims (docs/protocol.md §11, seed 003): after replaying a database through a
// seal, a monitor states "the executor signed this checkpoint at `length`, the log through it is
// valid, and if the state root at `previousLength` is `previousStateRoot`, the entries up to
// `length` (accumulator root `entriesRoot`) lead to `stateRoot`". It signs that statement twice: as
// a C2SP tlog cosignature over the checkpoint (which witness tooling reads), and as a canonical
// claim that adds the condition. The claim carries the executor's seal signature, so it holds its
// own evidence: a claim about a checkpoint the executor never signed refutes itself. Browser-safe.

import { encode } from '../codec/canonical.js'
import { fromHex, toHex } from '../codec/hash.js'
import { PROTOCOL } from '../codec/messages.js'
import { COSIGNATURE_V1, formatNote, keyId, signCosignature, timestampedSignature, verifyCosignature, verifyNoteSignature, type NoteKey } from '../codec/signed-note.js'
import { indexNoteKey, keyOfSigner } from '../log/seal.js'
import { sign, verifySignature } from '../codec/sign.js'
import { formatCheckpoint, sealCheckpoint } from '../log/tlog-checkpoint.js'

/** A claim as JSON: bytes as lowercase hex. */
export interface Claim {
  /** The database key. */
  database: string
  length: number
  previousLength: number
  previousStateRoot: string
  /** The accumulator root over the entries before `length` (docs/protocol.md §8.4). */
  entriesRoot: string
  stateRoot: string
  /** Hypercore's tree hash at `length`: the checkpoint's second extension line. */
  treeHash: string
  /** The hash of the oplog positions at `length`: the checkpoint's last extension line. */
  positions: string
  /** The executor's (index log signer's) public key, and its seal signature of the checkpoint. */
  signer: string
  sealSignature: string
  /** When the monitor cosigned, in POSIX seconds. */
  time: number
  /** The monitor's Ed25519 public key. */
  monitor: string
  /** The C2SP cosignature/v1 signature (64 bytes) over the checkpoint at `time`. */
  cosignature: string
  /** The monitor's signature of the claim's canonical encoding. */
  signature: string
}

export type ClaimBody = Omit<Claim, 'cosignature' | 'signature'>

export class ClaimError extends Error {
  constructor(
    readonly code: 'CLAIM_MALFORMED' | 'CLAIM_INVALID',
    message: string,
  ) {
    super(message)
    this.name = 'ClaimError'
  }
}

/** The cosigner name a monitor's key signs checkpoints under. */
export function monitorName(monitor: string): string {
  return `glassbox-monitor/${monitor}`
}

export function monitorCosignerKey(monitor: string): NoteKey {
  return { name: monitorName(monitor), type: COSIGNATURE_V1, publicKey: fromHex(monitor) }
}

/** The checkpoint text a claim cosigns: the one a seal with the claim's facts signs. */
export function claimCheckpointText(c: Pick<Claim, 'database' | 'length' | 'entriesRoot' | 'stateRoot' | 'treeHash' | 'positions'>): string {
  return formatCheckpoint(
    sealCheckpoint(fromHex(c.database), { length: c.length, accumulator: fromHex(c.entriesRoot), stateRoot: fromHex(c.stateRoot), treeHash: fromHex(c.treeHash), positions: fromHex(c.positions) }),
  )
}

/** The bytes a claim's `signature` signs: canonical, and so never a note, a cosignature or a Hypercore signable. */
export function claimSignable(c: Omit<Claim, 'signature'>): Uint8Array {
  return encode({
    protocol: PROTOCOL,
    type: 'claim',
    database: fromHex(c.database),
    length: c.length,
    previousLength: c.previousLength,
    previousStateRoot: fromHex(c.previousStateRoot),
    entriesRoot: fromHex(c.entriesRoot),
    stateRoot: fromHex(c.stateRoot),
    treeHash: fromHex(c.treeHash),
    positions: fromHex(c.positions),
    signer: fromHex(c.signer),
    sealSignature: fromHex(c.sealSignature),
    time: c.time,
    monitor: fromHex(c.monitor),
    cosignature: fromHex(c.cosignature),
  })
}

/** Signs a claim with the monitor's key pair (libsodium's 64-byte secret key). */
export function signClaim(body: ClaimBody, secretKey: Uint8Array): Claim {
  const publicKey = secretKey.subarray(32)
  if (toHex(publicKey) !== body.monitor) throw new ClaimError('CLAIM_INVALID', 'the key pair is not the claim\'s monitor')
  const cos = signCosignature(claimCheckpointText(body), body.time, monitorName(body.monitor), secretKey, publicKey)
  const unsigned = { ...body, cosignature: toHex(cos.signature.subarray(8)) }
  return { ...unsigned, signature: toHex(sign(claimSignable(unsigned), secretKey)) }
}

const HEX32 = /^[0-9a-f]{64}$/
const HEX64 = /^[0-9a-f]{128}$/
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

/** Checks a claim's shape and both its signatures; throws ClaimError saying what is wrong. */
export function checkClaim(value: unknown): Claim {
  const malformed = (why: string) => new ClaimError('CLAIM_MALFORMED', `not a claim: ${why}`)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('not an object')
  const c = value as Record<string, unknown>
  for (const k of ['database', 'previousStateRoot', 'entriesRoot', 'stateRoot', 'treeHash', 'positions', 'signer', 'monitor']) {
    if (typeof c[k] !== 'string' || !HEX32.test(c[k] as string)) throw malformed(`${k} must be 64 lowercase hex characters`)
  }
  for (const k of ['sealSignature', 'cosignature', 'signature']) if (typeof c[k] !== 'string' || !HEX64.test(c[k] as string)) throw malformed(`${k} must be 128 lowercase hex characters`)
  for (const k of ['length', 'previousLength', 'time']) if (!count(c[k])) throw malformed(`${k} must be a whole number >= 0`)
  if ((c.previousLength as number) >= (c.length as number)) throw malformed('previousLength must be below length')
  const claim = c as unknown as Claim
  const extra = Object.keys(c).filter((k) => !CLAIM_FIELDS.includes(k as keyof Claim))
  if (extra.length > 0) throw malformed(`unexpected field(s) ${extra.join(', ')}`)
  const monitor = fromHex(claim.monitor)
  if (!verifySignature(fromHex(claim.signature), claimSignable(claim), monitor)) throw new ClaimError('CLAIM_INVALID', `the claim is not signed by monitor ${claim.monitor.slice(0, 8)}…`)
  const key = monitorCosignerKey(claim.monitor)
  const line = { name: key.name, keyId: keyId(key), signature: timestampedSignature(claim.time, fromHex(claim.cosignature)) }
  if (verifyCosignature(claimCheckpointText(claim), line, key) !== claim.time) throw new ClaimError('CLAIM_INVALID', `the cosignature of monitor ${claim.monitor.slice(0, 8)}… does not verify`)
  return claim
}

/**
 * checkClaim, and the checkpoint must be one the executor signed. A claim that passes checkClaim
 * but fails here is a false claim its monitor signed: it is its own evidence (FalseClaim).
 */
export function checkClaimAbout(value: unknown, database: string): Claim {
  const claim = checkClaim(value)
  if (claim.database !== database) throw new ClaimError('CLAIM_MALFORMED', `the claim is about database ${claim.database.slice(0, 8)}…, not ${database.slice(0, 8)}…`)
  if (!executorSigned(claim)) throw new FalseClaim(claim, `monitor ${claim.monitor.slice(0, 8)}… claims a checkpoint at length ${claim.length} that the executor did not sign`)
  return claim
}

/** A validly signed claim that is false on its face; `claim` is the evidence, checkable alone. */
export class FalseClaim extends ClaimError {
  constructor(
    readonly claim: Claim,
    message: string,
  ) {
    super('CLAIM_INVALID', message)
    this.name = 'FalseClaim'
  }
}

const CLAIM_FIELDS: (keyof Claim)[] = ['database', 'length', 'previousLength', 'previousStateRoot', 'entriesRoot', 'stateRoot', 'treeHash', 'positions', 'signer', 'sealSignature', 'time', 'monitor', 'cosignature', 'signature']

/**
 * Whether the claim's checkpoint is one the database's executor signed: its signer must be the one
 * the database key names, and its seal signature must verify over the checkpoint text.
 */
export function executorSigned(claim: Claim): boolean {
  const signer = fromHex(claim.signer)
  if (toHex(keyOfSigner(signer)) !== claim.database) return false
  const key = indexNoteKey(fromHex(claim.database), signer)
  return verifyNoteSignature(claimCheckpointText(claim), { name: key.name, keyId: keyId(key), signature: fromHex(claim.sealSignature) }, key)
}

/** The claim's checkpoint as a signed note carrying the monitor's cosignature line (for witness tooling). */
export function cosignedNote(claim: Claim): string {
  const key = monitorCosignerKey(claim.monitor)
  return formatNote({ text: claimCheckpointText(claim), signatures: [{ name: key.name, keyId: keyId(key), signature: timestampedSignature(claim.time, fromHex(claim.cosignature)) }] })
}

/** Whether two claims by one monitor contradict each other: provable equivocation. */
export function equivocation(a: Claim, b: Claim): string | null {
  if (a.monitor !== b.monitor || a.database !== b.database) return null
  const at = (c: Claim, length: number) => (c.length === length ? c.stateRoot : c.previousLength === length ? c.previousStateRoot : null)
  for (const length of new Set([a.length, a.previousLength, b.length, b.previousLength])) {
    const x = at(a, length)
    const y = at(b, length)
    if (x !== null && y !== null && x !== y) return `it claimed two state roots at length ${length}`
  }
  if (a.length === b.length && (a.entriesRoot !== b.entriesRoot || a.treeHash !== b.treeHash || a.positions !== b.positions)) return `it claimed two logs of length ${a.length}`
  return null
}


