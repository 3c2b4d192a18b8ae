// Opening a database's state: from the state store when the index log vouches for it, folding
// only the log's tail; otherwise by folding the whole log, after which the store is rewritten.
// The log is the source of truth: a store is used only if its length is within the log and its
// root is the one the log claims at that length (and its values give that root), so a store that
// is missing, ahead of the log, damaged or wrong costs a full fold, never a failed or wrong load.
// A store marked as having lied to a read (StateStore.damaged) is always rebuilt.

import { rmSync } from 'node:fs'
import type Hypercore from 'hypercore'
import { toHex } from '../../codec/hash.js'
import { decodeEntry, encodeEntry, type IndexEntry } from '../../codec/messages.js'
import { AuthMap } from '../auth/auth-map.js'
import { IndexState } from '../index-state.js'
import { damageMark, probeStore, StateStore, stateDir, StoreRejected, type StateStoreOptions, type StoredMeta } from './state-store.js'
import { seedFromCheckpoint } from './seed-state.js'
import { readMapSnapshot } from './map-snapshot.js'
import { positionsHash } from '../../log/positions.js'
import type { VerifiedStateCheckpoint } from '../checkpoint/state-checkpoint.js'

/** How the state was opened (see `Database.stateLoad`). */
export interface StateLoad {
  /** 'store': resumed from the state store, folding only the log's tail; 'log': folded from the start. */
  from: 'store' | 'log'
  /** The index length the store held when it was used (0 otherwise). */
  storedLength: number
  /** Index entries folded while opening. */
  folded: number
  /** Why a state store that was there was not used (it was discarded and rebuilt), or null. */
  discarded: string | null
  /** False when the state lives in memory only (the store could not be opened or written). */
  persistent: boolean
  /** True when the store was the one a clean close left, so its stored leaf hashes were used and no value was hashed. */
  fromLeafHashes: boolean
  /** True when the map was read back from the snapshot that clean close wrote: not even an inner node was hashed. */
  fromSnapshot: boolean
}

export interface LoadedState {
  view: IndexState
  store: StateStore | null
  load: StateLoad
  /** The last state root the log claims (the last op's or seal's), or null if it claims none. */
  claimedRoot: Uint8Array | null
}

/** Entries folded between commits while opening, so a long fold does not hold every value in memory. */
const FOLD_COMMIT_ENTRIES = 1 << 16

/**
 * `base`: the state checkpoint a replica holding the log only from its seal on starts from
 * (state/checkpoint/kept-base.ts); asked only when the store holds nothing to resume.
 */
export async function loadState(dir: string, index: Hypercore, opts: StateStoreOptions = {}, base?: () => Promise<VerifiedStateCheckpoint | null>): Promise<LoadedState> {
  // A store known to have lied is rebuilt whatever its bytes say now.
  const damaged = damageMark(dir)
  const probe = damaged === null ? await probeStore(dir) : null
  let discarded = damaged ?? probe?.problem ?? null
  let store = openStore(dir, opts, discarded !== null)
  let resumed: Resumed | null = null
  if (store && discarded === null) {
    try {
      resumed = await resume(store, index, probe?.cleanClose === true)
    } catch (err) {
      discarded = err instanceof StoreRejected ? err.message : `it could not be read (${(err as Error).message})`
    }
    if (!resumed && discarded !== null) {
      // Start afresh rather than overwrite: a damaged environment may hold anything.
      await store.close()
      store = openStore(dir, opts, true)
    }
  }
  // A replica without the history before a kept checkpoint: its store starts from the checkpoint.
  if (store && !resumed && base) {
    const cp = await base()
    const first = cp ? await index.get(0, { wait: false }) : null
    const header = first ? decodeEntry(first) : null
    const previous = cp && cp.seal.length > 0 ? await index.get(cp.seal.length - 1, { wait: false }) : null
    if (cp && header?.type === 'header' && header.runtime && seedFromCheckpoint(store, cp, header.runtime, previous ? decodeEntry(previous) : null)) resumed = await resume(store, index)
  }
  const view = resumed?.view ?? freshView(store)
  let claimedRoot = resumed?.claim ?? null
  let folded = 0
  try {
    for await (const block of index.createReadStream({ start: view.length, end: index.length })) {
      const entry = decodeEntry(block)
      view.fold(entry)
      folded++
      const claim = claimOf(entry)
      if (claim) claimedRoot = claim
      if (store && folded % FOLD_COMMIT_ENTRIES === 0) store.commit(view)
    }
    // A log whose changes do not give its roots is not stored: the next open would discard it anyway.
    if (store && folded > 0 && (!claimedRoot || toHex(claimedRoot) === toHex(view.state.root()))) store.commit(view)
  } catch (err) {
    await store?.close()
    throw err
  }
  const load: StateLoad = {
    from: resumed ? 'store' : 'log',
    storedLength: resumed ? view.length - folded : 0,
    folded,
    discarded,
    persistent: store !== null && store.stats.lastError === null,
    fromLeafHashes: resumed?.built === 'leaf-hashes' || resumed?.built === 'snapshot',
    fromSnapshot: resumed?.built === 'snapshot',
  }
  return { view, store, load, claimedRoot }
}

/** The store, or null if it cannot be opened even after removing it (a read-only directory, say). */
function openStore(dir: string, opts: StateStoreOptions, fresh = false): StateStore | null {
  for (let attempt = fresh ? 1 : 0; attempt < 2; attempt++) {
    try {
      if (attempt === 1) rmSync(stateDir(dir), { recursive: true, force: true })
      return StateStore.open(dir, opts)
    } catch {
      // An unreadable environment: remove it and try once more.
    }
  }
  return null
}

function freshView(store: StateStore | null): IndexState {
  const map = new AuthMap()
  const view = new IndexState(map)
  if (store) {
    map.attachSource(store)
    view.acks.attachSource(store, 0)
  }
  return view
}

/** The state root an index entry claims: op entries and block seals carry one. */
function claimOf(entry: IndexEntry): Uint8Array | null {
  return 'stateRoot' in entry ? entry.stateRoot : null
}

interface Resumed {
  view: IndexState
  claim: Uint8Array
  /** How the map was built: from the close's snapshot, from the stored leaf hashes, or by hashing every value. */
  built: 'snapshot' | 'leaf-hashes' | 'values'
}

/**
 * The view the store holds, once the log vouches for it; throws StoreRejected (null store: empty).
 * `cleanClose`: the data file is the one a clean close left, byte for byte, so the map that close
 * wrote is read back (map-snapshot.ts), or else its stored leaf hashes are the ones written with
 * its values and no value need be hashed; without a clean close every value is.
 */
async function resume(store: StateStore, index: Hypercore, cleanClose = false): Promise<Resumed | null> {
  const meta = store.readMeta()
  if (!meta) return null
  if (meta.length > index.length) throw new StoreRejected(`it holds the state at length ${meta.length}, ahead of the index log (${index.length})`)
  await checkAgainstLog(meta, store, index)
  const gives = (map: AuthMap) => map.size === meta.keys && toHex(map.root()) === toHex(meta.root)
  // A snapshot that does not give the recorded root is only a cache missed: the leaf hashes are next.
  const snapshot = cleanClose ? readMapSnapshot(store.path, meta.root, store) : null
  const built = snapshot && gives(snapshot) ? 'snapshot' : cleanClose ? 'leaf-hashes' : 'values'
  const map = built === 'snapshot' ? (snapshot as AuthMap) : built === 'leaf-hashes' ? AuthMap.fromLeafHashes(store.leaves(), store) : AuthMap.fromStored(store.entries(), store)
  if (!gives(map)) throw new StoreRejected(`its ${built === 'values' ? 'values' : 'leaf hashes'} do not give the state root it records`)
  if (built === 'snapshot') store.markSnapshotRead()
  const view = new IndexState(map)
  view.length = meta.length
  view.runtime = meta.runtime
  view.genesisDone = meta.genesisDone
  for (const [origin, seq] of meta.lastSeq) view.lastSeq.set(origin, seq)
  view.lastSeal = meta.lastSeal
  view.acks.attachSource(store, meta.acks)
  return { view, claim: meta.root, built }
}

/**
 * Reads the log back from the store's length to the last op: the root claimed there must be the
 * store's, the store must know that op's ack where the log has it, and a seal just before the
 * length must be the store's last seal.
 */
async function checkAgainstLog(meta: StoredMeta, store: StateStore, index: Hypercore): Promise<void> {
  let claim: Uint8Array | null = null
  for (let at = meta.length - 1; at >= 0 && at >= meta.length - 16; at--) {
    const block = await index.get(at, { wait: false })
    if (!block) throw new StoreRejected(`index entry ${at} is not available to check it against`)
    const entry = decodeEntry(block)
    if (entry.type === 'seal' && at === meta.length - 1) {
      const mine = meta.lastSeal
      if (!mine || mine.position !== at || toHex(encodeEntry(mine.seal)) !== toHex(block)) throw new StoreRejected(`its last seal is not the log's seal at ${at}`)
      // A replica started from a checkpoint at this seal holds no entry before it: the seal signs the
      // store's root and oplog positions themselves.
      if (at > 0 && !(await index.has(at - 1))) {
        if (toHex(entry.stateRoot) !== toHex(meta.root) || toHex(entry.positions) !== toHex(positionsHash(meta.lastSeq))) throw new StoreRejected(`its state is not the one the seal at ${at} signs`)
        return
      }
    }
    claim ??= claimOf(entry)
    if (entry.type === 'op') {
      const { origin, seq, success } = entry.ack
      const ack = store.readAck(origin, seq)
      if (meta.lastSeq.get(origin) !== seq || ack?.seq !== at || ack.success !== success) {
        throw new StoreRejected(`its acks disagree with the log's op entry at ${at}`)
      }
      break
    }
    if (entry.type !== 'seal') break
  }
  if (!claim) throw new StoreRejected(`the index log claims no state root at length ${meta.length} to check it against`)
  if (toHex(claim) !== toHex(meta.root)) throw new StoreRejected(`its state root at length ${meta.length} is not the one the index log claims there`)
}
