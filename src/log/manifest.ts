// The database directory's manifest: which index log it holds and the names of its local oplogs.
// Written atomically (temp file + rename) so a crash leaves either the old or the new one.

import { mkdir, rename, writeFile } from 'node:fs/promises'
import { readTextFile } from './json-file.js'
import path from 'node:path'
import { DatabaseError } from '../errors.js'

export const MANIFEST_FORMAT = 'glassbox-dir/1'

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  /** The index log's public key (the database key), hex. */
  key: string
  /** Local oplogs by name: their public keys, hex. The first is the default caller. */
  oplogs: Record<string, string>
  /**
   * Keep a state checkpoint at the first seal at or after each multiple of this many entries
   * (docs/protocol.md §14.1); absent or 0: none. A local setting, not part of the signed logs.
   */
  checkpointEvery?: number
  /**
   * The executor's standby (docs/protocol.md §18): its swarm key, hex. Every block goes to it before
   * the append. A local setting, kept so that a restart cannot forget it and append alone.
   */
  standby?: string
}

export function manifestPath(dir: string): string {
  return path.join(dir, 'manifest.json')
}

export async function readManifest(dir: string): Promise<Manifest | null> {
  const text = await readTextFile(manifestPath(dir))
  if (text === null) return null
  let m: Manifest
  try {
    m = JSON.parse(text)
  } catch {
    throw new DatabaseError('DATABASE_CORRUPT', `${manifestPath(dir)} is not valid JSON`)
  }
  if (m?.format !== MANIFEST_FORMAT || typeof m.key !== 'string' || typeof m.oplogs !== 'object' || (m.checkpointEvery !== undefined && !(Number.isSafeInteger(m.checkpointEvery) && m.checkpointEvery >= 0)) || (m.standby !== undefined && !/^[0-9a-f]{64}$/.test(String(m.standby)))) {
    throw new DatabaseError('DATABASE_FORMAT', `${manifestPath(dir)} is not a ${MANIFEST_FORMAT} manifest`)
  }
  return m
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await mkdir(dir, { recursive: true })
  const tmp = manifestPath(dir) + '.tmp'
  await writeFile(tmp, JSON.stringify(m, null, 2) + '\n')
  await rename(tmp, manifestPath(dir))
}
