// Verification of a database directory without opening it as a Database: the index is not folded
// first, so a log with malformed or hostile entries can still be checked and reported on.

import { existsSync } from 'node:fs'
import path from 'node:path'
import { readExecutorKey } from '../failover/takeover.js'
import { DatabaseError, UsageError } from '../errors.js'
import { readManifest } from '../log/manifest.js'
import { LogStore } from '../log/store.js'
import { identityOf } from '../confidential/epochs.js'
import { KeyringError } from '../confidential/keyring.js'
import { confidentialSettings, directoryIdentities, openConfidential } from '../confidential/open.js'
import { checkSeals, type SealCheckReport } from '../confidential/seal-check.js'
import { Monitor, type MonitorOptions, type VerifyReport } from './monitor.js'
import type { ReplayLogs } from './replay.js'

export interface VerifyDirOptions extends Omit<MonitorOptions, 'checkpointPath'> {
  /** Resume from and update a checkpoint file (default: none, verify from the start). */
  checkpointPath?: string | null
  /** A confidential database: a reader's key pair (64-byte secret key) that opens its epoch keys. */
  readerKey?: Uint8Array
}

export function defaultCheckpointPath(dir: string): string {
  return path.join(dir, 'monitor.json')
}

/** Opens a directory's logs for replay; the caller closes the store. */
/** Opens a directory's logs to verify them: read-only unless `writable` (a claiming monitor writes its claims log). */
export async function openLogs(dir: string, opts: { writable?: boolean; readerKey?: Uint8Array } = {}): Promise<{ store: LogStore; logs: ReplayLogs; monitor: (opts: MonitorOptions) => Monitor }> {
  const manifest = await readManifest(dir)
  if (!manifest) throw new DatabaseError('DATABASE_NOT_FOUND', `${dir}: ${existsSync(dir) ? 'no database there' : 'no such directory'}`)
  const store = new LogStore(dir, opts.writable ? {} : { readOnly: true })
  await store.ready()
  const index = await store.byPubkey(manifest.key)
  // A confidential database is replayed with the epoch keys the directory's own key pairs open.
  const identities = await directoryIdentities(store, index, Object.keys(manifest.oplogs))
  if (opts.readerKey) identities.push(identityOf(opts.readerKey))
  // A directory that took over as executor keeps the executor's key pair in a file (§18.3).
  const taken = await readExecutorKey(dir)
  if (taken) identities.push(identityOf(taken.index.secretKey))
  const confidential = await openConfidential(store, index, identities)
  // Whoever holds any epoch's key holds epoch 0's too (each key wraps the one before it).
  if (confidential && !confidential.keyring.holds(0)) {
    await store.close()
    throw new KeyringError('NOT_A_MEMBER', `${dir}: this directory holds no key of the confidential database ${manifest.key.slice(0, 8)}…: give a member's key (--reader-key), or check its seals only (--seals-only)`)
  }
  const logs = { index, oplog: (pubkey: string) => store.byPubkey(pubkey), ...(confidential ? { keyring: confidential.keyring } : {}) }
  return { store, logs, monitor: (opts) => new Monitor(logs, opts) }
}

export async function verifyDirectory(dir: string, opts: VerifyDirOptions = {}): Promise<VerifyReport> {
  const { readerKey, ...monitorOpts } = opts
  const { store, monitor } = await openLogs(dir, readerKey ? { readerKey } : {})
  const m = monitor(monitorOpts)
  try {
    await m.open()
    return await m.verifyToHead()
  } finally {
    await m.stop()
    await store.close()
  }
}

/**
 * What a directory without a key can check of a confidential database (docs/protocol.md §17.5): its
 * seals, the tree hashes they sign and the keys log's shape.
 */
export async function checkDirectorySeals(dir: string, onProgress?: (done: number, total: number) => void): Promise<SealCheckReport> {
  const manifest = await readManifest(dir)
  if (!manifest) throw new DatabaseError('DATABASE_NOT_FOUND', `${dir}: ${existsSync(dir) ? 'no database there' : 'no such directory'}`)
  const store = new LogStore(dir, { readOnly: true })
  await store.ready()
  try {
    const index = await store.byPubkey(manifest.key)
    const settings = await confidentialSettings(index)
    if (!settings) throw new UsageError('USAGE', `${dir}: the database is not confidential (or its header is not here): verify it in full`)
    return await checkSeals(index, settings, await store.byPubkey(settings.keys), onProgress)
  } finally {
    await store.close()
  }
}
