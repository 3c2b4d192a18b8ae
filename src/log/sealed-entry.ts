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
  if (toHex(inclusionRoot(inclusion, bytes)) !== toHex(seal.treeHash)) throw invalid(`entry ${position} is not in the index log the seal signed`)
  return decodeBytes(proof.entry, `entry ${position}`)
}

/** Proves the entry at `position` under the seal that covers `length` entries. */
export async function proveEntry(index: Hypercore, position: number, length: number): Promise<EntryProof> {
  const block = await index.get(position)
  if (!block) throw new ProofError('PROOF_RANGE', `index entry ${position} is not available`)
  return { position, entry: toHex(block), inclusion: await proveInclusion(index, position, length) }
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
