// The state checkpoint a replica started from (`glassbox sync`, docs/protocol.md §12.3) as the base of
// its state store: a directory that holds the index log from that checkpoint's seal on, and not the
// history before it, opens from the checkpoint instead of folding entries it does not have.

import type Hypercore from 'hypercore'
import { toHex } from '../../codec/hash.js'
import { listStateCheckpoints, readChunk, readManifest } from './checkpoint-files.js'
import { openStateCheckpoint, type OpenCheckpointOptions, type VerifiedStateCheckpoint } from './state-checkpoint.js'

/**
 * The length of the highest checkpoint kept in `dir` whose seal the local index log holds without
 * the history before it, or null: a replica started from it fetches the log from there on only.
 */
export async function keptBaseLength(dir: string, index: Hypercore): Promise<number | null> {
  for (const length of (await listStateCheckpoints(dir)).reverse()) {
    if (index.contiguousLength < length && index.length > length && (await index.has(length))) return length
  }
  return null
}

/**
 * The highest checkpoint kept in `dir` that the local index log holds the seal of, byte for byte,
 * checked again from its files; null when the log holds its history up to it anyway, or none fits.
 */
export async function keptBase(dir: string, index: Hypercore, keys: OpenCheckpointOptions['keys']): Promise<VerifiedStateCheckpoint | null> {
  const lengths = await listStateCheckpoints(dir)
  for (const length of lengths.reverse()) {
    if (index.contiguousLength >= length || index.length <= length) continue
    const seal = await index.get(length, { wait: false })
    const manifest = await readManifest(dir, length)
    if (!seal || !manifest) continue
    const cp = await openStateCheckpoint(manifest, toHex(index.key), (i) => readChunk(dir, length, i), keys ? { keys } : {})
    if (toHex(cp.sealBytes) === toHex(seal)) return cp
  }
  return null
}
