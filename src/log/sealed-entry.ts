// Index entries proven under a signed seal (docs/protocol.md §8.3): the anchor every Glassbox proof
// file shares. A third party holding only the database key checks that the seal was signed by the
// key's signer, then that each entry is the block at its position in the log the seal signed.
//
// Browser-safe apart from the hash and signature functions and Hypercore's key derivation.

import type Hypercore from 'hypercore'
import { fromHex, toHex } from '../codec/hash.js'
import { decodeEntry, type IndexEntry, type SealEntry } from '../codec/messages.js'
import { inclusionRoot, proveInclusion, type InclusionProof } from './merkle.js'
import { HEX, HEX32, invalidProof as invalid, isCount, isObject, malformedProof as malformed, ProofError } from './proof-shape.js'
import { keyOfSigner, sealSignedBy } from './seal.js'
import { ENVELOPE_BYTES, envelopeHead, openInPlace, rebuildStored } from '../confidential/envelope.js'

/** A seal with the public key that signed it, both as hex. */
export interface SignedSeal {
  /** The Ed25519 public key of the index log's signer. */
  signer: string
  /** The seal entry's canonical bytes. */
  seal: string
}

/** An index entry with its inclusion proof in the log a seal signed. */
export interface EntryProof {
  position: number
  /** The entry's canonical bytes. */
  entry: string
  inclusion: InclusionProof
  /**
   * A confidential database's entry (docs/protocol.md §17.6): the envelope it is stored in and, when
   * sealed, its block key, which opens this block and no other. The inclusion is of the stored block.
   */
  disclosure?: Disclosure
}

/**
 * An oplog block with its inclusion proof in the oplog at the length an ack names. For a confidential
 * database the block is stored sealed, and `blockKey` (hex) opens it and no other (docs/protocol.md §17.6).
 */
export interface OpProof {
  bytes: string
  inclusion: InclusionProof
  blockKey?: string
}

/**
 * The op an oplog block proof holds, once the caller has checked its inclusion: its bytes, opened
 * with the block key when the database is `confidential` (whose ops are never taken as they are stored).
 */
export function opOfProof(op: OpProof, confidential: boolean): Uint8Array {
  const stored = fromHex(op.bytes)
  if (!confidential) return stored
  if (typeof op.blockKey !== 'string' || !HEX32.test(op.blockKey)) throw malformed('an op of a confidential database is disclosed with its block key (64 hex)')
  try {
    const copy = new Uint8Array(stored) // a copy: Buffer.slice would be a view, and opening is in place
    if (!envelopeHead(copy).sealed) throw new Error('the op is stored in the clear')
    openInPlace(copy, fromHex(op.blockKey))
    return copy.subarray(ENVELOPE_BYTES)
  } catch (err) {
    throw invalid(`the op does not open with the disclosed block key: ${(err as Error).message}`)
  }
}

/** How one stored block of a confidential log is disclosed: its envelope (hex) and its block key (hex, null when clear). */
export interface Disclosure {
  envelope: string
  blockKey: string | null
}

/** A log's encryption that can disclose one of its blocks (a confidential index log's, src/confidential/). */
export interface Discloser {
  disclose(position: number): Promise<Disclosure>
}

/**
 * Decodes and checks a signed seal for the database `key` (hex): the signer must be the key's
 * signer and must have signed the seal. Throws ProofError.
 */
export function openSeal(signed: SignedSeal, key: string): SealEntry {
  if (!isObject(signed) || typeof signed.signer !== 'string' || !HEX32.test(signed.signer) || typeof signed.seal !== 'string' || !HEX.test(signed.seal)) {
    throw malformed('a signed seal needs signer (64 hex) and seal (hex bytes)')
  }
  if (!HEX32.test(key)) throw malformed('the database key must be 64 hex characters')
  const entry = decodeBytes(signed.seal, 'seal')
  if (entry.type !== 'seal') throw malformed(`the seal bytes hold a ${entry.type} entry`)
  const signer = fromHex(signed.signer)
  if (signer.length !== 32 || toHex(keyOfSigner(signer)) !== key) throw invalid(`signer ${signed.signer.slice(0, 8)}… does not sign database ${key.slice(0, 8)}…`)
  if (!sealSignedBy(entry, fromHex(key), signer)) throw invalid('the seal signature does not verify')
  return entry
}

/** Decodes an entry proof and checks it is the block at its position of the log `seal` signed. */
export function openEntry(proof: EntryProof, seal: SealEntry): IndexEntry {
  if (!isObject(proof) || !isCount(proof.position) || typeof proof.entry !== 'string' || !HEX.test(proof.entry) || !isObject(proof.inclusion)) {
    throw malformed('an entry proof needs position, entry (hex bytes) and inclusion')
  }
  const { position, inclusion } = proof
  if (inclusion.index !== position || inclusion.length !== seal.length) {
    throw invalid(`the inclusion proof is for block ${inclusion.index} at length ${inclusion.length}, not entry ${position} under the seal at ${seal.length}`)
  }
  const bytes = fromHex(proof.entry)
  const stored = proof.disclosure === undefined ? bytes : disclosed(proof.disclosure, bytes, `entry ${position}`)
  if (toHex(inclusionRoot(inclusion, stored)) !== toHex(seal.treeHash)) throw invalid(`entry ${position} is not in the index log the seal signed`)
  return decodeBytes(proof.entry, `entry ${position}`)
}

/** The stored block a disclosure and its bytes make: the one the inclusion proof must hold. */
export function disclosed(d: Disclosure, bytes: Uint8Array, what: string): Uint8Array {
  if (!isObject(d) || typeof d.envelope !== 'string' || !HEX.test(d.envelope) || !(d.blockKey === null || (typeof d.blockKey === 'string' && HEX32.test(d.blockKey)))) {
    throw malformed(`${what}: a disclosure needs envelope (hex) and blockKey (64 hex, or null)`)
  }
  try {
    return rebuildStored(fromHex(d.envelope), bytes, d.blockKey === null ? null : fromHex(d.blockKey))
  } catch (err) {
    throw invalid(`${what} does not open as disclosed: ${(err as Error).message}`)
  }
}

/** Proves the entry at `position` under the seal that covers `length` entries. */
export async function proveEntry(index: Hypercore, position: number, length: number): Promise<EntryProof> {
  const block = await index.get(position)
  if (!block) throw new ProofError('PROOF_RANGE', `index entry ${position} is not available`)
  const proof: EntryProof = { position, entry: toHex(block), inclusion: await proveInclusion(index, position, length) }
  // A confidential index discloses this one block (its envelope and block key), nothing more.
  const discloser = index.encryption as Partial<Discloser> | null
  if (discloser?.disclose) proof.disclosure = await discloser.disclose(position)
  return proof
}

/** The seal at `position` of the index with its signer, as a proof file carries it. */
export async function signedSealAt(index: Hypercore, position: number, signer: Uint8Array): Promise<SignedSeal> {
  const block = await index.get(position)
  if (!block) throw new ProofError('PROOF_RANGE', `index entry ${position} is not available`)
  return { signer: toHex(signer), seal: toHex(block) }
}

function decodeBytes(hex: string, what: string): IndexEntry {
  try {
    return decodeEntry(fromHex(hex))
  } catch (err) {
    throw malformed(`${what} does not decode: ${(err as Error).message}`)
  }
}
