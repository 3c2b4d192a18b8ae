// The accumulator (§8.4) of an index log on disk: its peaks at the head, and the leaf hashes a
// proof is built from. Every block the executor appends ends with a seal that carries the peaks
// before it, so the head's peaks come from the last entry alone; only a log that does not end with
// a seal (never written by Glassbox) costs a read of every entry.

import type Hypercore from 'hypercore'
import { decodeEntry } from '../codec/messages.js'
import { appendLeaf, leafHash, peaksOfLeaves } from './accumulator.js'

/** The accumulator's peaks over every entry the index log holds. */
export async function currentPeaks(index: Hypercore): Promise<Uint8Array[]> {
  const length = index.length
  if (length === 0) return []
  const last = await index.get(length - 1)
  if (!last) throw new Error(`index entry ${length - 1} is not available`)
  let entry = null
  try {
    entry = decodeEntry(last)
  } catch {
    // Not an entry at all: the slow path below hashes it like any other block.
  }
  if (entry?.type === 'seal' && entry.length === length - 1) return appendLeaf(entry.peaks, entry.length, leafHash(last))
  return peaksOfLeaves(await leafHashes(index, length))
}

/** The accumulator's leaf hashes of the first `length` entries (one read of each). */
export async function leafHashes(index: Hypercore, length: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  if (length === 0) return out
  for await (const block of index.createReadStream({ start: 0, end: length })) out.push(leafHash(block))
  return out
}
