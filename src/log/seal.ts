// Block seals (docs/protocol.md §8.2): the executor signs, at the end of every block, what the log
// before the seal commits to: Hypercore's tree hash, the accumulator's peaks (RFC 9162, §8.4), the
// state root after those entries and where each oplog stands then (positions.ts). The signed text is the seal's C2SP checkpoint (§8.5), so a
// seal is also a signed note that transparency-log tooling reads. A seal is what receipts and fraud
// proofs are anchored to: one signature a third party checks with the database key alone.

import type Hypercore from 'hypercore'
import type { SealEntry } from '../codec/messages.js'
import { formatNote, keyId as keyIdOf, NOTE_ED25519, signNote, verifyNoteSignature, type NoteKey } from '../codec/signed-note.js'
import { peakCount, rootOfPeaks } from './accumulator.js'
import { keyOfSingleSigner } from './manifest-key.js'
import { databaseOrigin, formatCheckpoint, sealCheckpoint } from './tlog-checkpoint.js'

export interface SealBody {
  /** Entries covered: every index entry before the seal (the seal sits at position `length`). */
  length: number
  /** The index log's Merkle tree hash at `length` (§8.1). */
  treeHash: Uint8Array
  /** The authenticated state's root after those entries (§7). */
  stateRoot: Uint8Array
  /** The hash of where every oplog stands after those entries (positions.ts). */
  positions: Uint8Array
  /** The accumulator's peaks over the entries before the seal (§8.4). */
  peaks: readonly Uint8Array[]
}

/** The accumulator's root hash a seal commits to. */
export function sealAccumulator(body: SealBody): Uint8Array {
  return rootOfPeaks(body.peaks)
}

/** The checkpoint text a seal signs (§8.5); it starts with `glassbox/`, which no Hypercore signable does. */
export function sealText(key: Uint8Array, body: SealBody): string {
  return formatCheckpoint(sealCheckpoint(key, { length: body.length, accumulator: sealAccumulator(body), stateRoot: body.stateRoot, treeHash: body.treeHash, positions: body.positions }))
}

/** The note key of a database's index log: named by the checkpoint's origin, Ed25519 type 0x01. */
export function indexNoteKey(key: Uint8Array, signer: Uint8Array): NoteKey {
  return { name: databaseOrigin(key), type: NOTE_ED25519, publicKey: signer }
}

export function signSeal(key: Uint8Array, secretKey: Uint8Array, body: SealBody): SealEntry {
  const { signature } = signNote(sealText(key, body), databaseOrigin(key), secretKey, secretKey.subarray(32))
  return { type: 'seal', length: body.length, treeHash: body.treeHash, stateRoot: body.stateRoot, positions: body.positions, peaks: [...body.peaks], signature }
}

/** Whether `signer` signed this seal for the database `key` (and its peaks fit its length). */
export function sealSignedBy(seal: SealEntry, key: Uint8Array, signer: Uint8Array): boolean {
  if (seal.peaks.length !== peakCount(seal.length)) return false
  const noteKey = indexNoteKey(key, signer)
  return verifyNoteSignature(sealText(key, seal), { name: noteKey.name, keyId: keyIdOf(noteKey), signature: seal.signature }, noteKey)
}

/** The seal as a C2SP signed note: its checkpoint text and the index key's signature line. */
export function sealNote(seal: SealEntry, key: Uint8Array, signer: Uint8Array): string {
  const noteKey = indexNoteKey(key, signer)
  return formatNote({ text: sealText(key, seal), signatures: [{ name: noteKey.name, keyId: keyIdOf(noteKey), signature: seal.signature }] })
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
