// The reader key file a confidential database is opened with (`--reader-key KEYFILE`): it must exist,
// since a typo must not make a new key that opens nothing.

import { existsSync } from 'node:fs'
import { UsageError } from '../errors.js'

/** The key pair (64-byte secret key) in `file`; a usage error when there is none. */
export async function loadReaderKey(file: string): Promise<Uint8Array> {
  if (!existsSync(file)) throw new UsageError('USAGE', `no key file at ${file} (make one with \`glassbox key ${file}\`)`)
  const { loadOrCreateKey } = await import('../claims/verifier-key.js')
  return loadOrCreateKey(file)
}
