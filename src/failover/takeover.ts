// Taking over (docs/protocol.md §18.3), in the order that survives a crash at any point:
//   1. the executor's key pair is written into the standby's directory (from then on it is the
//      executor's directory, and `glassbox serve` there runs the executor);
//   2. when the directory opens, the blocks the standby held beyond its replica are appended, the
//      same bytes the old executor forwarded, so the log every peer may have seen goes on unchanged;
//   3. the executor's first block is one seal naming this instance (the handover);
//   4. only then is the list of held blocks removed. A crash before 4 redoes 2 and 3: appending
//      held blocks is idempotent, and a second handover seal naming the same instance is harmless.

import { existsSync } from 'node:fs'
import path from 'node:path'
import type Hypercore from 'hypercore'
import { readKeyFileFields, writeKeyFile } from '../claims/verifier-key.js'
import { DatabaseError } from '../errors.js'
import { heldFileExists, readHeld, removeHeld } from './held-log.js'
import { heldBeyond } from './standby.js'

/** Where a directory that took over keeps the executor's key pair (glassbox-key/1, owner-only). */
export const EXECUTOR_KEY_FILE = 'executor.key'

export type KeyPair = { publicKey: Buffer; secretKey: Buffer }

/**
 * What the executor signs with: the index log's key pair, and a confidential database's keys log's
 * (§17.3), kept in one glassbox-key/1 file (the keys log's secret key as the field `keysLog`).
 */
export interface ExecutorKeys {
  index: KeyPair
  keysLog: KeyPair | null
}

export function keyPairOf(secretKey: Uint8Array): KeyPair {
  return { publicKey: Buffer.from(secretKey.subarray(32)), secretKey: Buffer.from(secretKey) }
}

/** The executor's key pairs in `file`, or null when there is no such file. */
export async function readExecutorKeyFile(file: string): Promise<ExecutorKeys | null> {
  const read = await readKeyFileFields(file)
  if (!read) return null
  const { secretKey, fields } = read
  const keysLog = fields.keysLog
  if (keysLog !== undefined && (typeof keysLog !== 'string' || !/^[0-9a-f]{128}$/.test(keysLog))) throw new DatabaseError('KEY_FILE', `${file}: its keysLog is not a secret key (128 hex digits)`)
  return { index: keyPairOf(secretKey), keysLog: keysLog ? keyPairOf(Buffer.from(keysLog, 'hex')) : null }
}

/** Writes the executor's key pairs to a new file (owner-only). */
export async function writeExecutorKeyFile(file: string, keys: { index: Uint8Array; keysLog: Uint8Array | null }): Promise<void> {
  await writeKeyFile(file, keys.index, keys.keysLog ? { keysLog: Buffer.from(keys.keysLog).toString('hex') } : {})
}

/** The executor key pairs this directory took over with, or null (the directory that created a database derives its own). */
export async function readExecutorKey(dir: string): Promise<ExecutorKeys | null> {
  return readExecutorKeyFile(path.join(dir, EXECUTOR_KEY_FILE))
}

/** Step 1: the directory becomes the executor's. */
export async function beginTakeover(dir: string, keys: { index: Uint8Array; keysLog: Uint8Array | null }): Promise<void> {
  if (!existsSync(path.join(dir, EXECUTOR_KEY_FILE))) await writeExecutorKeyFile(path.join(dir, EXECUTOR_KEY_FILE), keys)
}

/**
 * Step 2, on a log opened writable (the index log; a confidential database's keys log first, so the
 * epochs of the held entries are known): appends the held blocks the log does not have yet. Returns
 * whether a takeover is under way (the handover seal is still owed).
 */
export async function appendHeldBlocks(dir: string, core: Hypercore, log?: 'keys'): Promise<boolean> {
  if (!heldFileExists(dir)) return false
  for (const p of heldBeyond(await readHeld(dir), core.length, log)) await core.append(p.blocks)
  return true
}

/** Step 4: the handover seal is on stable storage. */
export async function endTakeover(dir: string): Promise<void> {
  await removeHeld(dir)
}
