// State checkpoints on disk: D/state-checkpoints/<length>/manifest.json and chunk-<i>.json. A
// checkpoint is written to a temporary directory and renamed into place, so a crash leaves either
// the whole checkpoint or none of it; readers serve only complete ones.

import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { readJsonFile } from '../../log/json-file.js'
import type { StateCheckpointManifest } from './state-checkpoint.js'
import { isSealedManifest, type SealedManifest } from '../../confidential/sealed-checkpoint.js'
import { CheckpointError } from '../../errors.js'

/** A checkpoint as kept and served: in the clear (§12.1) or sealed (§17.8), each part a JSON file. */
export interface StoredCheckpoint {
  manifest: { length: number }
  chunks: { index: number }[]
}

export function checkpointsDir(dir: string): string {
  return path.join(dir, 'state-checkpoints')
}

function checkpointDir(dir: string, length: number): string {
  return path.join(checkpointsDir(dir), String(length))
}

export function chunkFile(i: number): string {
  return `chunk-${String(i).padStart(6, '0')}.json`
}

/** Writes a checkpoint (replacing one of the same length); returns its directory. */
export async function writeStateCheckpoint(dir: string, cp: StoredCheckpoint): Promise<string> {
  const final = checkpointDir(dir, cp.manifest.length)
  const temp = `${final}.partial`
  await rm(temp, { recursive: true, force: true })
  await mkdir(temp, { recursive: true })
  for (const c of cp.chunks) await writeFile(path.join(temp, chunkFile(c.index)), JSON.stringify(c))
  // The manifest last: a directory without one is never complete.
  await writeFile(path.join(temp, 'manifest.json'), JSON.stringify(cp.manifest, null, 2) + '\n')
  await rm(final, { recursive: true, force: true })
  await rename(temp, final)
  return final
}

/** The lengths of the complete checkpoints kept in `dir`, lowest first. */
export async function listStateCheckpoints(dir: string): Promise<number[]> {
  let names: string[]
  try {
    names = await readdir(checkpointsDir(dir))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return names.filter((n) => /^(0|[1-9][0-9]*)$/.test(n)).map(Number).sort((a, b) => a - b)
}

/** The manifest of the checkpoint at `length`, or null if there is none. Unchecked: readers check it. */
export async function readManifest(dir: string, length: number): Promise<StateCheckpointManifest | SealedManifest | null> {
  return readJsonFile(path.join(checkpointDir(dir, length), 'manifest.json')) as Promise<StateCheckpointManifest | SealedManifest | null>
}

/** Chunk `i` of the checkpoint at `length`, or null. Unchecked. */
export async function readChunk(dir: string, length: number, i: number): Promise<unknown> {
  return readJsonFile(path.join(checkpointDir(dir, length), chunkFile(i)))
}

/**
 * A kept manifest (`chunk` undefined) or chunk as a peer may be served it, or null when none is kept.
 * With `sealedOnly` (a confidential database) a part in the clear is never served: CHECKPOINT_NOT_SEALED.
 */
export async function readServed(dir: string, length: number, chunk: number | undefined, sealedOnly: boolean): Promise<unknown> {
  const part = chunk === undefined ? await readManifest(dir, length) : await readChunk(dir, length, chunk)
  if (part === null || !sealedOnly) return part
  const sealed = chunk === undefined ? isSealedManifest(part) : typeof (part as { sealed?: unknown }).sealed === 'string'
  if (!sealed) throw new CheckpointError('CHECKPOINT_NOT_SEALED', `the state checkpoint at ${length} is kept in the clear, and this database is confidential: it is not served`)
  return part
}
