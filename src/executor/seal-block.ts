// Closes a block: the seal entry that signs the index log's tree hash and accumulator peaks over
// every entry before it, and the state root and oplog positions after them (docs/protocol.md §8.2). The executor and
// genesis both end their appends with one, so every block a reader can see is signed as a whole.

import type Hypercore from 'hypercore'
import { encodeEntry, type SealEntry } from '../codec/messages.js'
import { appendEntries, appendLeaf, leafHash, type Peaks } from '../log/accumulator.js'
import { appendLeaves, treeHash, type TreeNode } from '../log/merkle.js'
import { positionsHash, type Positions } from '../log/positions.js'
import { signSeal } from '../log/seal.js'

export interface SealedBlock {
  seal: SealEntry
  /** The seal's canonical bytes, to append after the block's entries. */
  bytes: Buffer
  /** The index log's roots once the block and its seal are appended. */
  roots: TreeNode[]
  /** The accumulator's peaks once the block and its seal are appended. */
  peaks: Uint8Array[]
}

/** What the block's entries leave behind: the state root and where each oplog stands. */
export interface BlockResult {
  stateRoot: Uint8Array
  positions: Positions
}

/** Where the index log stands before a block: Hypercore's roots and the accumulator's peaks. */
export interface LogHead {
  roots: readonly TreeNode[]
  peaks: Peaks
}

/**
 * How an entry is stored at a position: as it is, or (a confidential database) in its envelope
 * (docs/protocol.md §17.2). Hypercore's tree hashes the stored bytes; the accumulator hashes entries.
 */
export type StoredForm = (position: number, entry: Uint8Array) => Uint8Array

/**
 * Seals `blocks` (entry bytes about to be appended at `start`, after a log whose head is `head`).
 * The tree hash is computed here rather than read back from Hypercore because the seal must go in
 * the same atomic append as the entries it covers.
 */
export function sealBlock(index: Hypercore, head: LogHead, start: number, blocks: readonly Uint8Array[], after: BlockResult, stored?: StoredForm, handover?: Uint8Array): SealedBlock {
  const secretKey = index.keyPair?.secretKey
  if (!secretKey) throw new Error('only the index log writer can seal blocks')
  const length = start + blocks.length
  const covered = appendLeaves(head.roots, start, stored ? blocks.map((b, i) => stored(start + i, b)) : blocks)
  const peaks = appendEntries(head.peaks, start, blocks)
  const signed = signSeal(index.key, secretKey, { length, treeHash: treeHash(covered), stateRoot: after.stateRoot, positions: positionsHash(after.positions), peaks })
  // The handover is not in the seal's signed note: Hypercore's signature over the log covers it.
  const seal: SealEntry = handover ? { ...signed, handover } : signed
  const encoded = encodeEntry(seal)
  const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
  return { seal, bytes, roots: appendLeaves(covered, length, [stored ? stored(length, bytes) : bytes]), peaks: appendLeaf(peaks, length, leafHash(bytes)) }
}
