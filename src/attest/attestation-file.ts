// The attestation a database directory publishes: D/attestation.json, written by `glassbox attest`
// and served at GET /v1/attestation. Unchecked here: whoever reads it checks it (attestation.ts).

import { readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Attestation } from './attestation.js'

export function attestationPath(dir: string): string {
  return path.join(dir, 'attestation.json')
}

/** The attestation kept in `dir`, parsed, or null when there is none. */
export async function readAttestation(dir: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(attestationPath(dir), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  return JSON.parse(text)
}

/** Writes the attestation a directory publishes, replacing the one before it whole. */
export async function writeAttestation(dir: string, a: Attestation): Promise<string> {
  const file = attestationPath(dir)
  await writeFile(`${file}.tmp`, JSON.stringify(a, null, 2) + '\n')
  await rename(`${file}.tmp`, file)
  return file
}
