// The attestation a database directory publishes: D/attestation.json, written by `glassbox attest`
// and served at GET /v1/attestation. Unchecked here: whoever reads it checks it (attestation.ts).

import { rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { readJsonFile } from '../log/json-file.js'
import type { Attestation } from './attestation.js'

export function attestationPath(dir: string): string {
  return path.join(dir, 'attestation.json')
}

/** The attestation kept in `dir`, parsed, or null when there is none. */
export function readAttestation(dir: string): Promise<unknown> {
  return readJsonFile(attestationPath(dir))
}

/** Writes the attestation a directory publishes, replacing the one before it whole. */
export async function writeAttestation(dir: string, a: Attestation): Promise<string> {
  const file = attestationPath(dir)
  await writeFile(`${file}.tmp`, JSON.stringify(a, null, 2) + '\n')
  await rename(`${file}.tmp`, file)
  return file
}
