// The Hypercores of one database directory: the index log and the local oplogs, in one Corestore.

import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import path from 'node:path'
import { toHex } from '../codec/hash.js'
import { RecentBlocks } from './recent-blocks.js'

const INDEX_NAME = 'index'
const OPLOG_PREFIX = 'oplog/'
const CLAIMS_NAME = 'claims'
const KEYS_NAME = 'keys'

export class LogStore {
  readonly corestore: Corestore
  private readonly byKey = new Map<string, Hypercore>()
  private readonly byName = new Map<string, Hypercore>()
  private readonly appended = new Map<Hypercore, RecentBlocks>()

  /**
   * `copied: true` opens a store that was copied from another directory. Hypercore refuses that by
   * default, because a copy can sign a different entry at a length the original already published
   * (a fork) — which is what tests and the demo do on purpose to show that monitors catch it. It
   * also lifts the single-process lock, so never use it for a live database. `readOnly: true` is
   * for verifiers: they never write, so they may read any copy of the logs.
   */
  constructor(dir: string, opts: { copied?: boolean; readOnly?: boolean } = {}) {
    this.corestore = new Corestore(path.join(dir, 'cores'), {
      ...(opts.copied ? { allowBackup: true } : {}),
      ...(opts.readOnly ? { readOnly: true } : {}),
    })
  }

  async ready(): Promise<void> {
    await this.corestore.ready()
  }

  /** The index log this store writes (only the executor's store has the key pair that signs it). */
  async localIndex(): Promise<Hypercore> {
    return this.open(this.corestore.get({ name: INDEX_NAME }))
  }

  /** A local oplog by name; creates its key pair on first use. */
  async localOplog(name: string): Promise<Hypercore> {
    // Every call publishes through here: opening a session only to close it again as a duplicate
    // costs a storage read and the session's setup and teardown on the caller's path, each call.
    const known = this.byName.get(name)
    if (known) return known
    const core = await this.open(this.corestore.get({ name: OPLOG_PREFIX + name }))
    this.byName.set(name, core)
    return core
  }

  /**
   * The blocks this process appended to a local oplog lately (noted by whoever appends them): the
   * executor of this directory reads a local caller's op from here rather than from storage.
   */
  recentAppends(core: Hypercore): RecentBlocks {
    let recent = this.appended.get(core)
    if (!recent) this.appended.set(core, (recent = new RecentBlocks()))
    return recent
  }

  /** This directory's claims log (docs/protocol.md §11): its key pair is the monitor's identity. */
  async localClaims(): Promise<Hypercore> {
    return this.open(this.corestore.get({ name: CLAIMS_NAME }))
  }

  /** A confidential database's keys log (docs/protocol.md §17.3), written by its executor. */
  async localKeys(): Promise<Hypercore> {
    return this.open(this.corestore.get({ name: KEYS_NAME }))
  }

  /**
   * Any log by its public key (hex); local logs come back writable, and so does a replica opened with
   * the key pair that signs it (a standby that took over, docs/protocol.md §18).
   */
  async byPubkey(pubkey: string, keyPair?: { publicKey: Buffer; secretKey: Buffer }): Promise<Hypercore> {
    const known = this.byKey.get(pubkey)
    if (known) return known
    return this.open(this.corestore.get({ key: Buffer.from(pubkey, 'hex'), ...(keyPair ? { keyPair } : {}) }))
  }

  private async open(core: Hypercore): Promise<Hypercore> {
    await core.ready()
    const hex = toHex(core.key)
    const known = this.byKey.get(hex)
    if (known && known !== core) {
      await core.close()
      return known
    }
    this.byKey.set(hex, core)
    return core
  }

  /**
   * Syncs everything written so far to stable storage. Hypercore 11 keeps its logs in RocksDB, whose
   * writes only reach the write-ahead log in the page cache (never fsynced); what survives a power loss
   * is what a memtable flush wrote: SST and blob files and the MANIFEST, each fsynced. The cores live
   * in the store's own column family, so that is the one to flush (flushing the default one, as this
   * method did before, syncs nothing).
   */
  async flush(): Promise<void> {
    await storageOf(this.corestore).db.flush()
  }

  /**
   * Holds every write of `core` until it is synced (see `flush`), before Hypercore counts it: an
   * append resolves, bumps the length, announces it to peers and serves it only once its blocks and
   * signed head are on stable storage. Hypercore announces an append by itself as soon as its storage
   * write returns, so this is the one place where the order "sync, then announce" can be enforced; a
   * flush after `append` comes too late. The executor calls it on the index log it signs.
   */
  syncWrites(core: Hypercore): void {
    const storage = (core as unknown as { core?: { storage?: CoreStorage } }).core?.storage
    if (!storage || typeof storage.write !== 'function' || typeof storage.write.call(storage).setHead !== 'function') {
      throw new Error('this Hypercore version has no per-core storage writer: cannot hold appends until they are synced')
    }
    if (synced.has(storage)) return
    synced.add(storage)
    const write = storage.write
    const flush = () => this.flush()
    storage.write = function (this: CoreStorage) {
      const tx = write.call(this)
      // Only writes that move the signed head (appends) wait; hints and the like need no sync.
      let movesHead = false
      const setHead = tx.setHead
      tx.setHead = function (this: CoreTx, head: unknown) {
        movesHead = true
        return setHead.call(this, head)
      }
      const commit = tx.flush
      tx.flush = async function (this: CoreTx) {
        const written = await commit.call(this)
        if (movesHead) await flush()
        return written
      }
      return tx
    }
  }

  async close(): Promise<void> {
    await this.corestore.close()
  }
}

// Hypercore internals reached by `flush` and `syncWrites` (hypercore 11 with hypercore-storage 3).
interface CoreTx {
  setHead(head: unknown): void
  flush(): Promise<boolean>
}
interface CoreStorage {
  write(): CoreTx
}
const synced = new WeakSet<CoreStorage>()

function storageOf(corestore: Corestore): { db: { flush(): Promise<void> } } {
  const storage = (corestore as unknown as { storage?: { db?: { flush?: unknown } } }).storage
  if (typeof storage?.db?.flush !== 'function') throw new Error('this Corestore version keeps no RocksDB column family: cannot sync its logs')
  return storage as { db: { flush(): Promise<void> } }
}
