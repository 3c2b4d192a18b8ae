// A fault injector for monitor tests: it holds a database's real Hypercores (the index log signed
// with the executor's key, the oplogs with their participants' keys) and writes to them what an
// honest executor or participant never would. Nothing is mocked: every block it writes is a signed
// block on disk, and a monitor that reads the directory sees exactly what a dishonest party made.

import type Hypercore from 'hypercore'
import { toHex } from '../../src/codec/hash.js'
import { decodeEntry, encodeEntry, encodeOp, type Ack, type IndexEntry, type OpEntry, type SealEntry } from '../../src/codec/messages.js'
import { rewriteSealed } from '../../src/demo/dishonest.js'
import { peaksOfLeaves } from '../../src/log/accumulator.js'
import { leafHashes } from '../../src/log/accumulator-log.js'
import { signSeal, type SealBody } from '../../src/log/seal.js'
import { positionsHash } from '../../src/log/positions.js'
import type { Database } from '../../src/database.js'
import { MANIFEST_FORMAT, readManifest, writeManifest } from '../../src/log/manifest.js'
import { LogStore } from '../../src/log/store.js'
import { IndexState } from '../../src/state/index-state.js'
import { Monitor, type MonitorOptions } from '../../src/verify/monitor.js'
import type { Change, Json } from '../../src/vm/types.js'

/** An index entry to encode, or raw bytes to write as one block as they are. */
export type Block = IndexEntry | Uint8Array

/** An op to encode canonically, or raw bytes to write as one oplog block as they are. */
export type OpBlock = { raw: Uint8Array } | { op: Json }

export type AckFields = Partial<Omit<Ack, 'origin' | 'seq'>>

export class DishonestExecutor {
  private constructor(
    readonly store: LogStore,
    /** The index log, writable with the executor's key. */
    readonly index: Hypercore,
    private readonly names: () => Record<string, string>,
    private readonly owned: boolean,
  ) {}

  /** Opens a closed database directory's logs (a directory cannot be opened twice at once). */
  static async open(dir: string): Promise<DishonestExecutor> {
    const manifest = await readManifest(dir)
    if (!manifest) throw new Error(`${dir} holds no database`)
    const store = new LogStore(dir)
    await store.ready()
    const index = await store.localIndex()
    if (toHex(index.key) !== manifest.key || !index.writable) {
      await store.close()
      throw new Error(`${dir} does not hold the key pair of its index log`)
    }
    return new DishonestExecutor(store, index, () => manifest.oplogs, true)
  }

  /**
   * Borrows the logs of an open database, so that a live executor and monitor see the faults as
   * they happen. The database keeps its store; close() here leaves it open.
   */
  static async attach(db: Database): Promise<DishonestExecutor> {
    // The facade does not hand out its store; a fault injector has to reach behind it.
    const store = (db as unknown as { logs: unknown }).logs
    if (!(store instanceof LogStore)) throw new Error('Database keeps its LogStore elsewhere than in `logs`: update attach()')
    const index = await store.byPubkey(db.key)
    if (!index.writable) throw new Error('the database does not hold the key pair of its index log')
    return new DishonestExecutor(store, index, () => db.oplogs, false)
  }

  /**
   * Creates a database directory whose index log holds exactly `build(oplogs)`, for genesis
   * entries no honest creator writes. `oplogs` are the public keys of the local oplogs named,
   * `index` the database key.
   */
  static async forge(dir: string, build: (oplogs: Record<string, string>, index: string) => Block[], names: string[] = ['main']): Promise<void> {
    const store = new LogStore(dir)
    try {
      await store.ready()
      const index = await store.localIndex()
      const oplogs: Record<string, string> = {}
      for (const name of names) oplogs[name] = toHex((await store.localOplog(name)).key)
      const blocks = build(oplogs, toHex(index.key))
      if (blocks.length > 0) await index.append(blocks.map(toBuffer))
      await writeManifest(dir, { format: MANIFEST_FORMAT, key: toHex(index.key), oplogs })
    } finally {
      await store.close()
    }
  }

  get length(): number {
    return this.index.length
  }

  /** The public key of a local oplog given by name (a hex key passes through). */
  pubkey(nameOrKey: string): string {
    return this.names()[nameOrKey] ?? nameOrKey
  }

  async oplog(nameOrKey: string): Promise<Hypercore> {
    return this.store.byPubkey(this.pubkey(nameOrKey))
  }

  async entry(seq: number): Promise<IndexEntry> {
    const block = await this.index.get(seq)
    if (!block) throw new Error(`index entry ${seq} is not available`)
    return decodeEntry(block)
  }

  async entries(start = 0, end = this.index.length): Promise<IndexEntry[]> {
    const out: IndexEntry[] = []
    for (let seq = start; seq < end; seq++) out.push(await this.entry(seq))
    return out
  }

  /** The index position and content of the last op entry. */
  async lastOp(): Promise<{ seq: number; entry: OpEntry }> {
    for (let seq = this.index.length - 1; seq >= 0; seq--) {
      const entry = await this.entry(seq)
      if (entry.type === 'op') return { seq, entry }
    }
    throw new Error('the index holds no op entry')
  }

  /** Appends blocks to the index in one append; returns the position of the first. */
  async append(...blocks: Block[]): Promise<number> {
    const first = this.index.length
    await this.index.append(blocks.map(toBuffer))
    return first
  }

  /** Cuts the index back to `length` (the append-only rule broken). */
  async truncate(length: number): Promise<void> {
    await this.index.truncate(length)
  }

  /** Replaces everything from `from` on with `blocks`: a second history for the same log. */
  async rewrite(from: number, blocks: Block[]): Promise<void> {
    await this.index.truncate(from)
    if (blocks.length > 0) await this.index.append(blocks.map(toBuffer))
  }

  /**
   * Publishes a different entry at `seq`, keeping the entries after it. For a monitor that never
   * saw the honest entry, this is indistinguishable from an executor that wrote it in the first place.
   */
  async tamper(seq: number, mutate: (entry: IndexEntry) => Block): Promise<void> {
    const rest = await this.entries(seq + 1)
    await this.rewrite(seq, [mutate(await this.entry(seq)), ...rest])
  }

  /** Like tamper, for an op entry; `mutate` returns the entry to publish instead. */
  async tamperOp(seq: number, mutate: (entry: OpEntry) => Block): Promise<void> {
    await this.tamper(seq, (e) => {
      if (e.type !== 'op') throw new Error(`index entry ${seq} is a ${e.type} entry, not an op`)
      return mutate(e)
    })
  }

  /** Appends ops to a participant's oplog without anyone processing them; returns the first seq. */
  async appendOps(oplog: string, ops: OpBlock[]): Promise<number> {
    const core = await this.oplog(oplog)
    const first = core.length
    await core.append(ops.map(opBuffer))
    return first
  }

  /** A participant rewrites its own oplog from `length` on: a fork once those ops were acknowledged. */
  async forkOplog(oplog: string, length: number, ops: OpBlock[]): Promise<void> {
    const core = await this.oplog(oplog)
    await core.truncate(length)
    if (ops.length > 0) await core.append(ops.map(opBuffer))
  }

  /**
   * An ack for op `seq` of an oplog, as an executor would write it: the oplog root is the oplog's
   * length and tree hash now when the oplog holds that op (otherwise length seq + 1 and a zero
   * hash), unless `fields` says otherwise.
   */
  async ack(oplog: string, seq: number, fields: AckFields = {}): Promise<Ack> {
    const origin = this.pubkey(oplog)
    const core = await this.store.byPubkey(origin)
    const held = seq < core.length
    const oplogLength = held ? core.length : seq + 1
    const oplogHash = held ? new Uint8Array(await core.treeHash(oplogLength)) : new Uint8Array(32)
    const success = fields.success ?? true
    return {
      origin,
      seq,
      oplogLength,
      oplogHash,
      ts: Date.now(),
      metadata: null,
      error: success ? null : 'rejected',
      ...fields,
      success,
    }
  }

  /**
   * An op entry for op `seq` of an oplog with the given changes, to be appended at the end of the
   * index. Its state root is the one an honest executor would write after those changes, unless given.
   */
  async opEntry(oplog: string, seq: number, changes: Change[], fields: AckFields = {}, stateRoot?: Uint8Array): Promise<OpEntry> {
    return { type: 'op', ack: await this.ack(oplog, seq, fields), changes, stateRoot: stateRoot ?? (await this.rootAfter(changes)) }
  }

  /** The state root after folding the whole index and then `changes`. */
  async rootAfter(changes: Change[]): Promise<Uint8Array> {
    const view = new IndexState()
    for (const entry of await this.entries()) view.fold(entry)
    view.state.apply(changes)
    return view.state.root()
  }

  /** The accumulator's peaks over the first `length` entries, as an honest seal at `length` has them. */
  async peaksAt(length: number): Promise<Uint8Array[]> {
    return peaksOfLeaves(await leafHashes(this.index, length))
  }

  /** The hash of where the first `length` entries leave each oplog, as an honest seal at `length` has it. */
  async positionsAt(length: number): Promise<Uint8Array> {
    const view = new IndexState()
    for (const entry of (await this.entries()).slice(0, length)) view.fold(entry)
    return positionsHash(view.lastSeq)
  }

  /** A seal over `body`, signed with the executor's key as an honest one would be. */
  sign(body: SealBody): SealEntry {
    const secretKey = this.index.keyPair?.secretKey
    if (!secretKey) throw new Error('the index key pair is not here')
    return signSeal(this.index.key, secretKey, body)
  }

  /**
   * Re-signs every seal from position `from` on over the log as it is now, as a dishonest executor
   * signing its own log does: the right length and tree hash, and as state root the one the entry
   * before the seal claims. Blocks that do not decode are kept as they are.
   */
  async reseal(from: number): Promise<void> {
    const blocks: Uint8Array[] = []
    for (let i = from; i < this.index.length; i++) {
      const block = await this.index.get(i)
      if (!block) throw new Error(`index entry ${i} is not available`)
      blocks.push(block)
    }
    await rewriteSealed(this.index, from, blocks)
  }

  /** A monitor over these logs (for Monitor.watch() while faults are injected). */
  monitor(opts: MonitorOptions = {}): Monitor {
    return new Monitor({ index: this.index, oplog: (pubkey) => this.store.byPubkey(pubkey) }, opts)
  }

  async close(): Promise<void> {
    if (this.owned) await this.store.close()
  }
}

function toBuffer(block: Block): Buffer {
  return Buffer.from(block instanceof Uint8Array ? block : encodeEntry(block))
}

function opBuffer(block: OpBlock): Buffer {
  return Buffer.from('raw' in block ? block.raw : encodeOp(block.op))
}

/** Opens a closed directory's logs, runs `fn`, and closes them again. */
export async function withDishonest<T>(dir: string, fn: (x: DishonestExecutor) => Promise<T>): Promise<T> {
  const x = await DishonestExecutor.open(dir)
  try {
    return await fn(x)
  } finally {
    await x.close()
  }
}
