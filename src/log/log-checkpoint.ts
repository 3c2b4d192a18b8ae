// A database's checkpoint (its latest seal as a C2SP signed note, docs/protocol.md §8.5) and the
// RFC 9162 proofs against it, as `glassbox checkpoint`, the library and `GET /checkpoint` give them.
// Proofs hash every entry up to the tree size asked for: one read of the log per proof.

import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import type { SealEntry } from '../codec/messages.js'
import { bytesToBase64 } from '../codec/primitives.js'
import { formatVerifierKey } from '../codec/signed-note.js'
import { consistencyProof, inclusionProof, rootOfPeaks } from './accumulator.js'
import { leafHashes } from './accumulator-log.js'
import { indexNoteKey, sealNote, signerOf } from './seal.js'
import { ProofError } from './proof-shape.js'

export interface LogCheckpoint {
  /** The checkpoint's origin line: `glassbox/` and the database key. */
  origin: string
  /** Entries covered (the tree size); the seal sits at this index position. */
  size: number
  /** The accumulator's root hash (base64, as in the note). */
  root: string
  stateRoot: string
  treeHash: string
  /** The hash of the oplog positions (§8.2). */
  positions: string
  /** The signed note: checkpoint text, blank line, the index key's signature line. */
  note: string
  /** The index key as a C2SP verifier key (`name+id+base64`), to configure note verifiers with. */
  verifierKey: string
}

export function checkpointOfSeal(index: Hypercore, seal: SealEntry): LogCheckpoint {
  const signer = signerOf(index)
  const noteKey = indexNoteKey(index.key, signer)
  return {
    origin: noteKey.name,
    size: seal.length,
    root: bytesToBase64(rootOfPeaks(seal.peaks)),
    stateRoot: toHex(seal.stateRoot),
    treeHash: toHex(seal.treeHash),
    positions: toHex(seal.positions),
    note: sealNote(seal, index.key, signer),
    verifierKey: formatVerifierKey(noteKey),
  }
}

/** An RFC 9162 proof as JSON: hashes in base64, from the leaf's level up. */
export interface AccumulatorProof {
  kind: 'inclusion' | 'consistency'
  /** inclusion: the leaf's index; consistency: the first tree's size. */
  from: number
  /** The (second) tree's size. */
  size: number
  /** inclusion only: the leaf hash of the entry, SHA-256(0x00 ‖ entry bytes). */
  leafHash?: string
  hashes: string[]
}

function checkSize(index: Hypercore, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > index.length) {
    throw new ProofError('PROOF_RANGE', `no tree of ${size} entries: the index log holds ${index.length}`)
  }
}

/** RFC 9162 inclusion proof of entry `position` in the accumulator of the first `size` entries. */
export async function accumulatorInclusion(index: Hypercore, position: number, size: number): Promise<AccumulatorProof> {
  checkSize(index, size)
  if (!Number.isSafeInteger(position) || position < 0 || position >= size) throw new ProofError('PROOF_RANGE', `entry ${position} is not among the first ${size}`)
  const leaves = await leafHashes(index, size)
  const hashes = inclusionProof(leaves, position, size).map(bytesToBase64)
  return { kind: 'inclusion', from: position, size, leafHash: bytesToBase64(leaves[position]), hashes }
}

/** RFC 9162 consistency proof from the accumulator of `first` entries to that of `second`. */
export async function accumulatorConsistency(index: Hypercore, first: number, second: number): Promise<AccumulatorProof> {
  checkSize(index, second)
  if (!Number.isSafeInteger(first) || first < 0 || first > second) throw new ProofError('PROOF_RANGE', `no consistency proof from ${first} to ${second} entries`)
  const leaves = await leafHashes(index, second)
  return { kind: 'consistency', from: first, size: second, hashes: consistencyProof(leaves, first, second).map(bytesToBase64) }
}
