// Block seals (docs/protocol.md §8.2): the executor signs, at the end of every block, the index
// log's tree hash over every entry before the seal and the state root after them. A seal is what
// receipts and fraud proofs are anchored to: one signature a third party checks with the database
// key alone, with no Hypercore storage.

import type Hypercore from 'hypercore'
import { encode } from '../codec/canonical.js'
import { PROTOCOL, type SealEntry } from '../codec/messages.js'
import { sign, verifySignature } from '../codec/sign.js'
import { keyOfSingleSigner } from './manifest-key.js'

export interface SealBody {
  /** Entries covered: every index entry before the seal (the seal sits at position `length`). */
  length: number
  /** The index log's Merkle tree hash at `length` (§8.1). */
  treeHash: Uint8Array
  /** The authenticated state's root after those entries (§7). */
  stateRoot: Uint8Array
}

/**
 * The bytes signed: canonical {protocol, type: "seal", key, length, treeHash, stateRoot}. They start
 * with the canonical map tag, which no Hypercore signable starts with (those begin with a 32-byte
 * namespace hash), so the one key can sign both without a seal ever passing for a log signature.
 */
export function sealSignable(key: Uint8Array, body: SealBody): Uint8Array {
  return encode({ protocol: PROTOCOL, type: 'seal', key, length: body.length, treeHash: body.treeHash, stateRoot: body.stateRoot })
}

export function signSeal(key: Uint8Array, secretKey: Uint8Array, body: SealBody): SealEntry {
  const signature = sign(sealSignable(key, body), secretKey)
  return { type: 'seal', length: body.length, treeHash: body.treeHash, stateRoot: body.stateRoot, signature }
}

/** Whether `signer` signed this seal for the database `key`. */
export function sealSignedBy(seal: SealEntry, key: Uint8Array, signer: Uint8Array): boolean {
  return verifySignature(seal.signature, sealSignable(key, seal), signer)
}

/** The database key a signer's index log has: Hypercore's key of the single-signer manifest. */
export function keyOfSigner(signer: Uint8Array): Uint8Array {
  return keyOfSingleSigner(signer)
}

/** The public key that signs a log (and its seals), from the log's manifest. */
export function signerOf(core: Hypercore): Uint8Array {
  const signer = core.manifest?.signers[0]?.publicKey
  if (!signer || core.manifest?.signers.length !== 1) throw new Error('the index log must have exactly one signer')
  return new Uint8Array(signer)
}
