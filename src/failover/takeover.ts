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
import { readKeyFile, writeKeyFile } from '../claims/verifier-key.js'
import { heldFileExists, readHeld, removeHeld } from './held-log.js'
import { heldBeyond } from './standby.js'

/** Where a directory that took over keeps the executor's key pair (glassbox-key/1, owner-only). */
export const EXECUTOR_KEY_FILE = 'executor.key'

export type KeyPair = { publicKey: Buffer; secretKey: Buffer }

export function keyPairOf(secretKey: Uint8Array): KeyPair {
  return { publicKey: Buffer.from(secretKey.subarray(32)), secretKey: Buffer.from(secretKey) }
}

/** The executor key pair this directory took over with, or null (the directory that created a database derives its own). */
export async function readExecutorKey(dir: string): Promise<KeyPair | null> {
  const secretKey = await readKeyFile(path.join(dir, EXECUTOR_KEY_FILE))
  return secretKey ? keyPairOf(secretKey) : null
}

/** Step 1: the directory becomes the executor's. */
export async function beginTakeover(dir: string, secretKey: Uint8Array): Promise<void> {
  if (!existsSync(path.join(dir, EXECUTOR_KEY_FILE))) await writeKeyFile(path.join(dir, EXECUTOR_KEY_FILE), secretKey)
}

/**
 * Step 2, on the index opened writable: appends the held blocks the log does not have yet. Returns
 * whether a takeover is under way (the handover seal is still owed).
 */
export async function appendHeldBlocks(dir: string, index: Hypercore): Promise<boolean> {
  if (!heldFileExists(dir)) return false
  for (const p of heldBeyond(await readHeld(dir), index.length)) await index.append(p.blocks)
  return true
}

/** Step 4: the handover seal is on stable storage. */
export async function endTakeover(dir: string): Promise<void> {
  await removeHeld(dir)
}
