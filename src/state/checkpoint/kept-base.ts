// The state checkpoint a replica started from (`glassbox sync`, docs/protocol.md §12.3) as the base of
// its state store: a directory that holds the index log from that checkpoint's seal on, and not the
// history before it, opens from the checkpoint instead of folding entries it does not have.

import type Hypercore from 'hypercore'
import { toHex } from '../../codec/hash.js'
import { listStateCheckpoints, readChunk, readManifest } from './checkpoint-files.js'
import { openStateCheckpoint, type OpenCheckpointOptions, type VerifiedStateCheckpoint } from './state-checkpoint.js'

/**
 * The lengths of the checkpoints kept in `dir`, highest first, whose seal the local index log holds
 * without the history before it: what a replica started from a checkpoint can start from.
 */
async function* startLengths(dir: string, index: Hypercore): AsyncGenerator<number> {
  for (const length of (await listStateCheckpoints(dir)).reverse()) {
    if (index.contiguousLength < length && index.length > length && (await index.has(length))) yield length
  }
}

/** The length of the highest such checkpoint, or null: a replica started from it fetches the log from there on only. */
export async function keptBaseLength(dir: string, index: Hypercore): Promise<number | null> {
  for await (const length of startLengths(dir, index)) return length
  return null
}

/**
 * The highest such checkpoint whose seal the log holds byte for byte, checked again from its files;
 * null when none fits (the log holds its history up to them, or no checkpoint is kept).
 */
export async function keptBase(dir: string, index: Hypercore, keys: OpenCheckpointOptions['keys']): Promise<VerifiedStateCheckpoint | null> {
  for await (const length of startLengths(dir, index)) {
    const seal = await index.get(length, { wait: false })
    const manifest = await readManifest(dir, length)
    if (!seal || !manifest) continue
    const cp = await openStateCheckpoint(manifest, toHex(index.key), (i) => readChunk(dir, length, i), keys ? { keys } : {})
    if (toHex(cp.sealBytes) === toHex(seal)) return cp
  }
  return null
}
