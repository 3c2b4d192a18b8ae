// The Hypercores of one database directory: the index log and the local oplogs, in one Corestore.

import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import path from 'node:path'
import { toHex } from '../codec/hash.js'

const INDEX_NAME = 'index'
const OPLOG_PREFIX = 'oplog/'

export class LogStore {
  readonly corestore: Corestore
  private readonly byKey = new Map<string, Hypercore>()

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
    return this.open(this.corestore.get({ name: OPLOG_PREFIX + name }))
  }

  /** Any log by its public key (hex); local logs come back writable. */
  async byPubkey(pubkey: string): Promise<Hypercore> {
    const known = this.byKey.get(pubkey)
    if (known) return known
    return this.open(this.corestore.get({ key: Buffer.from(pubkey, 'hex') }))
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
   * Flushes what was appended to the disk. The executor calls it after each block, so that a length
   * it has signed survives a power loss (else it could later sign other entries at that length: a fork).
   */
  async flush(): Promise<void> {
    await (this.corestore as unknown as { storage: { flush(): Promise<void> } }).storage.flush()
  }

  async close(): Promise<void> {
    await this.corestore.close()
  }
}
