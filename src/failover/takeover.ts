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
import { toHex } from '../codec/hash.js'
import { appendLeaves, treeHash } from '../log/merkle.js'
import type { StoredForm } from '../executor/seal-block.js'
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
export async function appendHeldBlocks(dir: string, core: Hypercore, log?: 'keys', stored?: StoredForm): Promise<boolean> {
  const what = `${dir}: the ${log ?? 'index'} log`
  if (!heldFileExists(dir)) {
    if (core.contiguousLength < core.length) throw new DatabaseError('TAKEOVER_GAP', `${what} lacks blocks ${core.contiguousLength}–${core.length - 1} and holds none of them aside`)
    return false
  }
  const held = await readHeld(dir)
  const have = core.contiguousLength
  if (have < core.length) {
    // The replica knew of the last blocks (their upgrade came) without their data, which only the
    // dead executor and the held blocks have. A writable log cannot fetch them, so it is cut back to
    // what it holds, at the same fork, and the held bytes go in again: the same tree, the same
    // signatures, so no peer sees anything change. Checked before anything is cut.
    const blocks = heldBeyond(held, have, log)
    const end = blocks.reduce((e, p) => p.start + p.blocks.length, have)
    if (end < core.length) throw new DatabaseError('TAKEOVER_GAP', `${what} lacks blocks ${end}–${core.length - 1}, which the standby did not hold`)
    const length = core.length
    const known = (await core.proof({ upgrade: { start: 0, length: have } })).upgrade?.nodes ?? []
    const missing = blocks.flatMap((p) => p.blocks.map((b, i) => (stored ? stored(p.start + i, b) : b))).slice(0, length - have)
    if (toHex(treeHash(appendLeaves(have === 0 ? [] : known, have, missing))) !== toHex(signedTreeHash(core))) {
      throw new DatabaseError('TAKEOVER_MISMATCH', `${what}: the held blocks do not rebuild the tree the log has at length ${length}; not taking over`)
    }
    await core.truncate(have, core.fork)
    for (const p of blocks) await core.append(p.blocks)
    return true
  }
  for (const p of heldBeyond(held, core.length, log)) await core.append(p.blocks)
  return true
}

/** Step 4: the handover seal is on stable storage. */
export async function endTakeover(dir: string): Promise<void> {
  await removeHeld(dir)
}

/**
 * The tree hash of the log's signed head. `treeHash(length)` would wait for nodes a replica lacks
 * when it lacks the data under them; Hypercore keeps the head's root hash in its header (internal,
 * as `state.signature` in verify/heads.ts).
 */
function signedTreeHash(core: Hypercore): Uint8Array {
  const tree = (core as unknown as { core?: { header?: { tree?: { length: number; rootHash: Uint8Array } } } }).core?.header?.tree
  if (!tree?.rootHash || tree.length !== core.length) throw new Error("this Hypercore version keeps no signed head's root hash in its header: cannot check held blocks")
  return tree.rootHash
}
