// A verifier's signing key pair in a file (`verify --segment … --key FILE`): created on first use,
// readable by its owner only. Each machine that validates a share signs its segment claims with its own.

import { readFile, writeFile } from 'node:fs/promises'
import sodium from 'sodium-native'
import { GlassboxError } from '../errors.js'

export const KEY_FILE_FORMAT = 'glassbox-key/1'

/** The 64-byte secret key (seed, then public key) kept in `file`, made and written there if there is none. */
export async function loadOrCreateKey(file: string): Promise<Uint8Array> {
  let text: string | null = null
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (text === null) {
    const publicKey = Buffer.alloc(32)
    const secretKey = Buffer.alloc(64)
    sodium.crypto_sign_keypair(publicKey, secretKey)
    await writeFile(file, JSON.stringify({ format: KEY_FILE_FORMAT, publicKey: publicKey.toString('hex'), secretKey: secretKey.toString('hex') }) + '\n', { mode: 0o600, flag: 'wx' })
    return new Uint8Array(secretKey)
  }
  let k: { format?: unknown; publicKey?: unknown; secretKey?: unknown }
  try {
    k = JSON.parse(text)
  } catch {
    throw new GlassboxError('KEY_FILE', `${file} is not valid JSON`)
  }
  if (k.format !== KEY_FILE_FORMAT || typeof k.secretKey !== 'string' || !/^[0-9a-f]{128}$/.test(k.secretKey) || k.secretKey.slice(64) !== k.publicKey) {
    throw new GlassboxError('KEY_FILE', `${file} is not a ${KEY_FILE_FORMAT} key file`)
  }
  return new Uint8Array(Buffer.from(k.secretKey, 'hex'))
}
