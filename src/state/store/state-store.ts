// The state store: the materialized state at one index length, in an embedded LMDB environment
// (`<database dir>/state/`), so that a restart folds only the log's tail and values need not all
// sit in memory. It holds every key's value (canonical encoding), every ack's index position,
// and the IndexState bookkeeping with the state root at that length. It is a cache of the index
// log, never a peer: src/state/store/load-state.ts checks it against the log before using it.
//
// One LMDB transaction per commit, so the store is always the state at some length, never a mix.
// Reads are synchronous (contracts read state synchronously) and come from LMDB's memory map.
// The store is outside the trusted core (docs/protocol.md §5.5): the state map checks every value
// read from here, and a wrong answer marks the store damaged for good (damaged()).

import { execFile } from 'node:child_process'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { open, type Database as LmdbDatabase, type RootDatabase } from 'lmdb'
import { decode, encode } from '../../codec/canonical.js'
import { fromHex, hash, toHex } from '../../codec/hash.js'
import { decodeEntry, encodeEntry, type SealEntry } from '../../codec/messages.js'
import type { StoreIntegrityError } from '../../errors.js'
import type { Json } from '../../vm/types.js'
import type { AckLocation, AckSource } from '../ack-table.js'
import { closedCleanly, markClosedCleanly } from './clean-close.js'
import type { AuthMap, EncodedEntry, ValueSource } from '../auth/auth-map.js'
import { encodeMapSnapshot, removeMapSnapshot, writeMapSnapshot } from './map-snapshot.js'
import type { IndexState } from '../index-state.js'

// 2: each value is stored after its leaf hash (so a store closed cleanly opens without hashing values).
const FORMAT = 'glassbox-state-store/2'
const META_KEY = Buffer.from('meta')
/** LMDB's longest key at its default page size (lmdb-js says which applies, as maxKeySize). */
const LMDB_MAX_KEY_BYTES = 1978
const H = 32

/** The directory of a database's state store. */
export const stateDir = (dir: string): string => path.join(dir, 'state')

/** Written (durably) in the store's directory once the store answered a read wrongly. */
const DAMAGE_FILE = 'damaged'

/**
 * Why the store at `dir` is known to have lied (it answered a read with a value the state root
 * does not commit to, see StateStore.damaged), or null. Such a store is rebuilt from the log
 * even if its bytes now look right: a disk that lied once is not asked again.
 */
export function damageMark(dir: string): string | null {
  try {
    return readFileSync(path.join(stateDir(dir), DAMAGE_FILE), 'utf8').trim() || 'it answered a read wrongly'
  } catch {
    return null
  }
}

/** Longest a probe may take before the store is presumed damaged (a cycle of pages, say). */
const PROBE_TIMEOUT_MS = 120_000

/** What the probe found: null if the store can be opened (or there is none yet), else why not; and whether it is the one a clean close left. */
export interface ProbeResult {
  problem: string | null
  /** The data file holds exactly the bytes this software wrote and closed (clean-close.ts). */
  cleanClose: boolean
}

/**
 * Whether the store at `dir` can be opened without risk to this process: a child process opens
 * it and reads every record first (see probe-store.ts), unless the store was closed cleanly and
 * not changed since (clean-close.ts).
 */
export function probeStore(dir: string): Promise<ProbeResult> {
  const at = stateDir(dir)
  if (!existsSync(path.join(at, 'data.mdb'))) return Promise.resolve({ problem: null, cleanClose: false })
  // A store closed cleanly and not changed since, byte for byte, needs no probe.
  if (closedCleanly(at)) return Promise.resolve({ problem: null, cleanClose: true })
  const script = fileURLToPath(new URL('./probe-store.js', import.meta.url))
  return new Promise((resolve) => {
    execFile(process.execPath, [script, at], { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 16 }, (err, _stdout, stderr) => {
      if (!err) return resolve({ problem: null, cleanClose: false })
      if (err.signal) return resolve({ problem: `it crashed a process that read it (${err.signal})`, cleanClose: false })
      const last = stderr.trim().split('\n').filter((line) => /error/i.test(line)).pop() ?? `exit code ${err.code}`
      resolve({ problem: `it could not be read (${last.trim()})`, cleanClose: false })
    })
  })
}

/** What the store says about the state it holds, besides the values and acks. */
export interface StoredMeta {
  length: number
  runtime: string | null
  genesisDone: boolean
  lastSeq: Map<string, number>
  lastSeal: { position: number; seal: SealEntry } | null
  /** The state root at `length`. */
  root: Uint8Array
  keys: number
  acks: number
}

/** A store that cannot be used: unreadable, or not what the log says. The message says why. */
export class StoreRejected extends Error {}

/** Time spent committing, for `bench/` and the architecture doc's figures. */
export interface CommitStats {
  commits: number
  totalMs: number
  maxMs: number
  /** The last commit's error, if it failed (the store then stays at its previous length). */
  lastError: Error | null
}

export interface StateStoreOptions {
  /** Wait for each commit to reach the disk (default true); false lets LMDB flush in the background. */
  durable?: boolean
}

export class StateStore implements ValueSource, AckSource {
  readonly stats: CommitStats = { commits: 0, totalMs: 0, maxMs: 0, lastError: null }
  /** The first wrong answer the store gave (see damaged()); it takes no commit after that. */
  damage: StoreIntegrityError | null = null
  /** Told once, when the store is first found to have lied (the database stops its executor). */
  onDamage: ((err: StoreIntegrityError) => void) | null = null
  private closed = false
  private ackCount = 0
  /** The state root of the last commit (or of the meta record read), null before either. */
  private committedRoot: Uint8Array | null = null
  /** The commit made by commitInBackground that has not landed yet. */
  private landing: Promise<boolean> | null = null
  /** The open read the map from the snapshot (see close). */
  private snapshotRead = false

  private constructor(
    private readonly dir: string,
    private readonly env: RootDatabase<Buffer, Buffer>,
    private readonly values: LmdbDatabase<Buffer, Buffer>,
    private readonly acks: LmdbDatabase<Buffer, Buffer>,
    private readonly meta: LmdbDatabase<Buffer, Buffer>,
  ) {}

  /** The store's own directory (`stateDir` of the database's). */
  get path(): string {
    return this.dir
  }

  /** Opens (creating if need be) the store of the database at `dir`; throws if LMDB cannot. */
  static open(dir: string, opts: StateStoreOptions = {}): StateStore {
    const at = stateDir(dir)
    mkdirSync(at, { recursive: true })
    const binary = { encoding: 'binary', keyEncoding: 'binary' } as const
    const env = open<Buffer, Buffer>({ path: at, maxDbs: 4, overlappingSync: opts.durable === false, ...binary })
    try {
      return new StateStore(
        at,
        env,
        env.openDB<Buffer, Buffer>({ name: 'values', ...binary }),
        env.openDB<Buffer, Buffer>({ name: 'acks', ...binary }),
        env.openDB<Buffer, Buffer>({ name: 'meta', ...binary }),
      )
    } catch (err) {
      void env.close()
      throw err
    }
  }

  read(key: string): Uint8Array | undefined {
    const stored = this.values.getBinary(Buffer.from(key, 'utf8'))
    // A record too short to hold its leaf hash is no value: the map's check reports it missing.
    return stored && stored.length >= H ? stored.subarray(H) : undefined
  }

  /**
   * Called by the state map when a value read from here is not the one the state root commits to
   * (or is missing). The store is marked damaged on disk before the read throws, so that whatever
   * happens next (the executor stops, the process dies), the next open rebuilds it from the log.
   */
  damaged(err: StoreIntegrityError): void {
    if (this.damage !== null) return
    this.damage = err
    try {
      const fd = openSync(path.join(this.dir, DAMAGE_FILE), 'w')
      try {
        writeSync(fd, `it answered a read wrongly: ${err.message}\n`)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      const d = openSync(this.dir, 'r')
      try {
        fsyncSync(d)
      } finally {
        closeSync(d)
      }
    } catch {
      // A disk that cannot take the mark either: the next open still checks the store's values
      // against the log's root, which catches a lie that is still there.
    }
    this.onDamage?.(err)
  }

  readAck(origin: string, seq: number): AckLocation | undefined {
    const v = this.acks.getBinary(ackKeyBytes(origin, seq))
    if (!v || v.length !== 9) return undefined
    return { seq: v.readUint32BE(1) * 2 ** 32 + v.readUint32BE(5), success: v[0] === 1 }
  }

  /** Every key with its value's encoding, in key order (UTF-8 byte order is the state's key order). */
  *entries(): IterableIterator<EncodedEntry> {
    for (const { key, value } of this.values.getRange({})) yield { key: key.toString('utf8'), encoded: value.subarray(H) }
  }

  /**
   * Every key with its record, whose first 32 bytes are the leaf hash stored beside the value, in
   * key order: trusted only for a store a clean close left (probeStore's `cleanClose`), and then only
   * once they give the recorded root. (The record whole, not a view of it: one allocation less per key.)
   */
  *leaves(): IterableIterator<{ key: string; leaf: Uint8Array }> {
    for (const { key, value } of this.values.getRange({})) {
      if (value.length < H) throw new StoreRejected(`its record of ${JSON.stringify(key.toString('utf8'))} is too short to hold a leaf hash`)
      yield { key: key.toString('utf8'), leaf: value }
    }
  }

  /** The bookkeeping of the state held, or null if the store is empty; throws StoreRejected if it is unreadable. */
  readMeta(): StoredMeta | null {
    const bytes = this.meta.getBinary(META_KEY)
    if (bytes === undefined) return null
    const meta = parseMeta(bytes)
    this.ackCount = meta.acks
    this.committedRoot = meta.root
    return meta
  }

  /**
   * Writes what changed in `view` since the last commit (values, acks, bookkeeping, root) in one
   * transaction, then lets those values and acks leave memory. Never throws: on failure the
   * store stays at its previous length (a later load catches it up from the log), memory keeps
   * everything, and the error is in `stats.lastError`.
   */
  commit(view: IndexState): boolean {
    // A store that lied takes nothing more: memory keeps every value, the next open rebuilds it.
    if (this.closed || this.damage !== null) return false
    if (this.landing) throw new Error('a state store commit is in flight: await landed() first')
    const start = performance.now()
    const map = view.state
    const changed = map.unsaved
    try {
      const root = map.root()
      let acks = this.ackCount
      this.env.transactionSync(() => {
        if (changed) {
          for (const key of changed) {
            const k = Buffer.from(key, 'utf8')
            const record = recordOf(map, key)
            if (record === null) this.values.removeSync(k)
            else this.values.putSync(k, record)
          }
        }
        for (const { origin, seq, at } of view.acks.unsaved()) {
          this.acks.putSync(ackKeyBytes(origin, seq), ackValue(at))
          acks++
        }
        this.meta.putSync(META_KEY, metaBytes(view, root, acks))
      })
      this.ackCount = acks
      this.committedRoot = root
      map.markStored()
      view.acks.markStored()
      this.stats.lastError = null
      return true
    } catch (err) {
      this.stats.lastError = err as Error
      return false
    } finally {
      this.counted(performance.now() - start)
    }
  }

  /** Whether a commit made by commitInBackground has not landed yet. */
  get committing(): boolean {
    return this.landing !== null
  }

  /** Resolves once no commit made by commitInBackground is in flight. */
  async landed(): Promise<void> {
    while (this.landing) await this.landing
  }

  /**
   * Like commit, but LMDB's write thread writes the transaction and makes it durable while this
   * thread goes on: what changed in `view` is taken now (call on the committed head) and written
   * in one transaction, all of it or none. Until it lands the taken values and acks stay in memory and
   * reads answer from there; then those not changed since leave it. Resolves true once durable,
   * false if the commit failed (they are unsaved again; the error is in `stats.lastError`). One at a
   * time: call again once `committing` is false.
   */
  commitInBackground(view: IndexState): Promise<boolean> {
    if (this.closed || this.damage !== null) return Promise.resolve(false)
    if (this.landing) throw new Error('a state store commit is already in flight')
    const start = performance.now()
    const map = view.state
    const root = Uint8Array.from(map.root())
    const keys = map.takeUnsaved()
    const acks = view.acks.takeUnsaved()
    let landing: Promise<boolean>
    try {
      // Encoded now: the transaction runs later, when the map may hold a later state.
      const values = [...keys].map((key) => [Buffer.from(key, 'utf8'), recordOf(map, key)] as const)
      const ackRecords = acks.map(({ origin, seq, at }) => [ackKeyBytes(origin, seq), ackValue(at)] as const)
      const ackCount = this.ackCount + acks.length
      const meta = metaBytes(view, root, ackCount)
      // A key LMDB refuses would throw halfway through the writes below: refused before any of them.
      const maxKey = (this.values as { maxKeySize?: number }).maxKeySize ?? LMDB_MAX_KEY_BYTES
      const tooLong = values.find(([k]) => k.length > maxKey)
      if (tooLong) throw new Error(`a key of ${tooLong[0].length} bytes is over the store's ${maxKey}-byte limit`)
      // Asked for in one turn of the event loop: LMDB's write thread runs them as one transaction
      // (its event-turn batching) and makes it durable; none of it runs on this thread.
      const writes: Promise<boolean>[] = []
      for (const [k, v] of values) writes.push(v === null ? this.values.remove(k) : this.values.put(k, v))
      for (const [k, v] of ackRecords) writes.push(this.acks.put(k, v))
      writes.push(this.meta.put(META_KEY, meta))
      const written = Promise.all(writes)
      landing = written.then(
        () => {
          this.ackCount = ackCount
          this.committedRoot = root
          this.stats.lastError = null
          return true
        },
        (err: Error) => {
          this.stats.lastError = err
          return false
        },
      )
    } catch (err) {
      this.stats.lastError = err as Error
      landing = Promise.resolve(false)
    }
    // Time spent on this thread: taking the changes and handing them over.
    const onThread = performance.now() - start
    const done = landing.then((ok) => {
      // A store found to lie meanwhile keeps nothing out of memory.
      const kept = ok && this.damage === null
      map.landed(keys, kept)
      view.acks.landed(kept)
      this.counted(onThread)
      this.landing = null
      return ok
    })
    this.landing = done
    return done
  }

  /**
   * Closes the environment and, unless the store lied, records the data file's bytes (clean-close.ts)
   * and a snapshot of `map` (map-snapshot.ts) when it is exactly the state last committed. Without
   * `map` a snapshot already there stays: the next open uses it only if it holds the store's root.
   */
  async close(map?: AuthMap): Promise<void> {
    if (this.closed) return
    await this.landed()
    this.closed = true
    const holds = map !== undefined && this.holds(map)
    await this.env.close()
    // A store that lied is rebuilt at the next open whatever its bytes (damageMark): no record.
    if (this.damage !== null) return removeMapSnapshot(this.dir)
    // Opened from a clean close's snapshot, and nothing committed since: that close's record and
    // snapshot still hold (a reader's open and close cost no hashing of the data file or the map).
    if (this.snapshotRead && this.stats.commits === 0 && holds) return
    // A snapshot is read only after a clean close recorded (a store too large to fingerprint gets none).
    const recorded = markClosedCleanly(this.dir)
    if (recorded && holds) writeMapSnapshot(this.dir, encodeMapSnapshot(map))
    else if (map) removeMapSnapshot(this.dir)
  }

  /** Says the open read the map from the snapshot a clean close left (load-state.ts). */
  markSnapshotRead(): void {
    this.snapshotRead = true
  }

  /** Counts a commit that took `ms` of this thread. */
  private counted(ms: number): void {
    this.stats.commits++
    this.stats.totalMs += ms
    this.stats.maxMs = Math.max(this.stats.maxMs, ms)
  }

  /** Whether `map` is the state this store last committed: nothing unsaved, the same root. */
  private holds(map: AuthMap): boolean {
    return this.damage === null && this.committedRoot !== null && map.unsaved?.size === 0 && Buffer.from(map.root()).equals(this.committedRoot)
  }
}

/** What the store keeps of `key`: its leaf hash, then its value's encoding; null when the map has no value there. */
function recordOf(map: AuthMap, key: string): Buffer | null {
  const value = map.get(key)
  const leaf = value === undefined ? undefined : map.leafHashOf(key)
  return value === undefined || leaf === undefined ? null : Buffer.concat([leaf, encode(value)])
}

function ackKeyBytes(origin: string, seq: number): Buffer {
  const k = Buffer.alloc(H + 8)
  k.set(fromHex(origin))
  k.writeUint32BE(Math.floor(seq / 2 ** 32), H)
  k.writeUint32BE(seq >>> 0, H + 4)
  return k
}

function ackValue(at: AckLocation): Buffer {
  const v = Buffer.alloc(9)
  v[0] = at.success ? 1 : 0
  v.writeUint32BE(Math.floor(at.seq / 2 ** 32), 1)
  v.writeUint32BE(at.seq >>> 0, 5)
  return v
}

/** The bookkeeping record: its hash, then its canonical encoding (so a torn or flipped byte shows). */
function metaBytes(view: IndexState, root: Uint8Array, acks: number): Buffer {
  const seal = view.lastSeal
  const body = encode({
    format: FORMAT,
    length: view.length,
    runtime: view.runtime,
    genesisDone: view.genesisDone,
    lastSeq: Object.fromEntries(view.lastSeq),
    lastSeal: seal ? { position: seal.position, entry: encodeEntry(seal.seal) } : null,
    root,
    keys: view.state.size,
    acks,
  })
  return Buffer.concat([hash(body), body])
}

function parseMeta(bytes: Uint8Array): StoredMeta {
  const body = bytes.subarray(H)
  if (bytes.length < H || toHex(hash(body)) !== toHex(bytes.subarray(0, H))) throw new StoreRejected('its bookkeeping record is damaged')
  let m: Record<string, unknown>
  try {
    m = decode(body) as Record<string, unknown>
  } catch {
    throw new StoreRejected('its bookkeeping record does not decode')
  }
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
  if (m.format !== FORMAT) throw new StoreRejected(`its format is ${JSON.stringify(m.format)}, not ${FORMAT}`)
  if (!count(m.length) || !count(m.keys) || !count(m.acks)) throw new StoreRejected('its bookkeeping record has bad counts')
  if (!(m.root instanceof Uint8Array) || m.root.length !== H) throw new StoreRejected('its bookkeeping record has no state root')
  if (m.runtime !== null && typeof m.runtime !== 'string') throw new StoreRejected('its bookkeeping record has a bad runtime')
  if (typeof m.genesisDone !== 'boolean') throw new StoreRejected('its bookkeeping record has a bad genesis flag')
  const lastSeq = new Map<string, number>()
  if (typeof m.lastSeq !== 'object' || m.lastSeq === null) throw new StoreRejected('its bookkeeping record has bad oplog positions')
  for (const [origin, seq] of Object.entries(m.lastSeq as Record<string, Json>)) {
    if (!count(seq)) throw new StoreRejected('its bookkeeping record has bad oplog positions')
    lastSeq.set(origin, seq as number)
  }
  let lastSeal: StoredMeta['lastSeal'] = null
  if (m.lastSeal !== null) {
    const s = m.lastSeal as { position?: unknown; entry?: unknown }
    const entry = s.entry instanceof Uint8Array ? decodeEntry(s.entry) : null
    if (!count(s.position) || entry?.type !== 'seal') throw new StoreRejected('its bookkeeping record has a bad seal')
    lastSeal = { position: s.position as number, seal: entry }
  }
  return {
    length: m.length as number,
    runtime: m.runtime as string | null,
    genesisDone: m.genesisDone,
    lastSeq,
    lastSeal,
    root: m.root,
    keys: m.keys as number,
    acks: m.acks as number,
  }
}
