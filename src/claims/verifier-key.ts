// A verifier's signing key pair in a file (`verify --segment … --key FILE`): created on first use,
// readable by its owner only. Each machine that validates a share signs its segment claims with its own.

import { writeFile } from 'node:fs/promises'
import { readTextFile } from '../log/json-file.js'
import sodium from 'sodium-native'
import { GlassboxError } from '../errors.js'

export const KEY_FILE_FORMAT = 'glassbox-key/1'

/** The 64-byte secret key (seed, then public key) kept in `file`, made and written there if there is none. */
export async function loadOrCreateKey(file: string): Promise<Uint8Array> {
  const known = await readKeyFile(file)
  if (known) return known
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  await writeKeyFile(file, secretKey)
  return new Uint8Array(secretKey)
}

/** Writes a key file readable by its owner only (with `extra` fields beside the key); an existing file is never overwritten. */
export async function writeKeyFile(file: string, secretKey: Uint8Array, extra: Record<string, string> = {}): Promise<void> {
  const hex = Buffer.from(secretKey).toString('hex')
  await writeFile(file, JSON.stringify({ format: KEY_FILE_FORMAT, publicKey: hex.slice(64), secretKey: hex, ...extra }) + '\n', { mode: 0o600, flag: 'wx' })
}

/** The 64-byte secret key kept in `file`, or null when there is no such file. */
export async function readKeyFile(file: string): Promise<Uint8Array | null> {
  return (await readKeyFileFields(file))?.secretKey ?? null
}

/** The key kept in `file` and the file's other fields (read once), or null when there is no such file. */
export async function readKeyFileFields(file: string): Promise<{ secretKey: Uint8Array; fields: Record<string, unknown> } | null> {
  const text = await readTextFile(file)
  if (text === null) return null
  let k: { format?: unknown; publicKey?: unknown; secretKey?: unknown }
  try {
    k = JSON.parse(text)
  } catch {
    throw new GlassboxError('KEY_FILE', `${file} is not valid JSON`)
  }
  if (k?.format !== KEY_FILE_FORMAT || typeof k.secretKey !== 'string' || !/^[0-9a-f]{128}$/.test(k.secretKey) || k.secretKey.slice(64) !== k.publicKey) {
    throw new GlassboxError('KEY_FILE', `${file} is not a ${KEY_FILE_FORMAT} key file`)
  }
  return { secretKey: new Uint8Array(Buffer.from(k.secretKey, 'hex')), fields: k as Record<string, unknown> }
}
