// Joining a database from another machine (seed 001 §2.4): a directory that holds a reader's copy
// of the index log (filled by replication) and a new local oplog. The oplog's key is what an
// existing participant hands to the contract (e.g. an admin's addMember op) to make it an input.

import { isPubkeyHex, toHex } from '../codec/hash.js'
import { DatabaseError, UsageError } from '../errors.js'
import { readManifest, writeManifest } from '../log/manifest.js'
import { LogStore } from '../log/store.js'

export interface JoinResult {
  key: string
  /** The new local oplog: its name and public key. */
  oplog: { name: string; pubkey: string }
}

export async function joinDatabase(dir: string, key: string, name = 'main'): Promise<JoinResult> {
  if (!isPubkeyHex(key)) throw new UsageError('USAGE', `${key} is not a database key (64 lowercase hex characters)`)
  const existing = await readManifest(dir)
  if (existing) {
    if (existing.key !== key) throw new DatabaseError('DATABASE_EXISTS', `${dir} already holds database ${existing.key.slice(0, 8)}…`)
    const pubkey = existing.oplogs[name]
    if (pubkey) return { key, oplog: { name, pubkey } }
  }
  const logs = new LogStore(dir)
  try {
    await logs.ready()
    const index = await logs.byPubkey(key)
    if (index.writable) throw new DatabaseError('DATABASE_EXISTS', `${dir} holds the executor of ${key.slice(0, 8)}…; it needs no join`)
    const pubkey = toHex((await logs.localOplog(name)).key)
    await writeManifest(dir, { format: 'glassbox-dir/1', key, oplogs: { ...(existing?.oplogs ?? {}), [name]: pubkey } })
    return { key, oplog: { name, pubkey } }
  } finally {
    await logs.close()
  }
}
