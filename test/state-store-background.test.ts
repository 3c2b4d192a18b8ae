// A state store commit in the background (StateStore.commitInBackground): LMDB's write thread makes
// it durable while the executor goes on. What it took stays in memory until it lands; a key changed
// meanwhile never leaves memory for the older value the store now holds; a failed commit loses
// nothing and the next one writes it all.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { decode } from '../src/codec/canonical.js'
import { AuthMap } from '../src/state/auth/index.js'
import { IndexState } from '../src/state/index-state.js'
import { StateStore } from '../src/state/store/state-store.js'
import type { Json } from '../src/vm/types.js'
import { tempDir } from './helpers/databases.js'

const ORIGIN = 'ab'.repeat(32)

/** A view whose values and acks leave memory for `store` once committed, as a database opens it. */
function viewOn(store: StateStore): IndexState {
  const map = new AuthMap()
  const view = new IndexState(map)
  map.attachSource(store)
  view.acks.attachSource(store, 0)
  return view
}

const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : null)
const put = (key: string, value: Json) => ({ type: 'put' as const, key, value })

/** Counts the values the map reads back from the store. */
function countReads(store: StateStore): string[] {
  const reads: string[] = []
  const read = store.read.bind(store)
  store.read = (key: string) => {
    reads.push(key)
    return read(key)
  }
  return reads
}

const stored = (store: StateStore, key: string) => {
  const bytes = store.read(key)
  return bytes === undefined ? undefined : decode(bytes)
}

/** A new store, and a view on it holding two values and an ack not committed yet. */
async function storeWithChanges(t: TestContext): Promise<{ store: StateStore; view: IndexState }> {
  const store = StateStore.open(await tempDir(t))
  t.after(() => store.close())
  const view = viewOn(store)
  view.state.apply([put('a', 1), put('b', 2)])
  view.acks.set(ORIGIN, 0, { seq: 4, success: true })
  return { store, view }
}

test('a background commit keeps what it took in memory until it lands, then only what did not change since leaves it', async (t) => {
  const { store, view } = await storeWithChanges(t)
  const reads = countReads(store)

  const landing = store.commitInBackground(view)
  assert.equal(store.committing, true)
  assert.throws(() => store.commit(view), /in flight/, 'no synchronous commit while one is in flight')
  // While it is in flight: a later change, a new key, and reads answered from memory.
  view.state.apply([put('a', 10), put('c', 3)])
  view.acks.set(ORIGIN, 1, { seq: 5, success: false })
  assert.equal(view.state.get('b'), 2)
  assert.deepEqual(view.ackOf(ORIGIN, 0), { seq: 4, success: true })
  assert.equal(view.acks.size, 2)
  assert.deepEqual(reads, [])

  assert.equal(await landing, true)
  assert.equal(store.committing, false)
  // The store holds the state as it was taken, acks with it.
  assert.equal(stored(store, 'a'), 1)
  assert.equal(stored(store, 'b'), 2)
  assert.equal(stored(store, 'c'), undefined)
  assert.deepEqual(store.readAck(ORIGIN, 0), { seq: 4, success: true })
  assert.equal(store.readAck(ORIGIN, 1), undefined)
  reads.length = 0
  // 'b' left memory and is read back (and checked); 'a' kept its newer value in memory.
  assert.equal(view.state.get('b'), 2)
  assert.equal(view.state.get('a'), 10)
  assert.deepEqual(reads, ['b'])
  assert.deepEqual([...(view.state.unsaved ?? [])].sort(), ['a', 'c'])
  assert.deepEqual(view.ackOf(ORIGIN, 1), { seq: 5, success: false })
  assert.equal(view.acks.size, 2)

  // The next commit takes the rest.
  assert.equal(await store.commitInBackground(view), true)
  assert.equal(stored(store, 'a'), 10)
  assert.equal(stored(store, 'c'), 3)
  assert.deepEqual(store.readAck(ORIGIN, 1), { seq: 5, success: false })
  assert.deepEqual([...(view.state.unsaved ?? [])], [])
  assert.equal(store.readMeta()?.acks, 2)
  assert.deepEqual(hex(store.readMeta()?.root), hex(view.state.root()))
})

test('a background commit that fails loses nothing: what it took is unsaved again, and the next commit writes it', async (t) => {
  const { store, view } = await storeWithChanges(t)
  // The disk refuses the transaction: each of its writes fails, as LMDB reports a failed commit.
  const dbs = ['values', 'acks', 'meta'].map((name) => (store as unknown as Record<string, { put: unknown }>)[name])
  const puts = dbs.map((db) => db.put)
  for (const db of dbs) db.put = () => Promise.reject(new Error('MDB_MAP_FULL: Environment mapsize limit reached'))
  const landing = store.commitInBackground(view)
  view.state.apply([put('b', 20)])
  assert.equal(await landing, false)
  assert.match(store.stats.lastError?.message ?? '', /MDB_MAP_FULL/)
  assert.deepEqual([...(view.state.unsaved ?? [])].sort(), ['a', 'b'])
  assert.equal(view.state.get('a'), 1)
  assert.equal(view.state.get('b'), 20)
  assert.deepEqual(view.ackOf(ORIGIN, 0), { seq: 4, success: true })
  assert.equal(view.acks.size, 1)
  assert.equal(store.readMeta(), null, 'nothing of it reached the store')

  dbs.forEach((db, i) => (db.put = puts[i]))
  assert.equal(await store.commitInBackground(view), true)
  assert.equal(store.stats.lastError, null)
  assert.equal(stored(store, 'a'), 1)
  assert.equal(stored(store, 'b'), 20)
  assert.deepEqual(store.readAck(ORIGIN, 0), { seq: 4, success: true })
  assert.equal(store.readMeta()?.acks, 1)
})

test('a background commit with a key the store cannot hold writes none of it', async (t) => {
  const store = StateStore.open(await tempDir(t))
  t.after(() => store.close())
  const view = viewOn(store)
  view.state.apply([put('a', 1), put('k'.repeat(3000), 2), put('z', 3)])
  assert.equal(await store.commitInBackground(view), false)
  assert.match(store.stats.lastError?.message ?? '', /3000 bytes/)
  assert.equal(store.readMeta(), null)
  assert.equal(stored(store, 'a'), undefined)
  assert.equal(view.state.unsaved?.size, 3)
  assert.equal(view.state.get('z'), 3)
})

test('closing a store waits for its background commit to land', async (t) => {
  const dir = await tempDir(t)
  const store = StateStore.open(dir)
  const view = viewOn(store)
  view.state.apply([put('a', 1)])
  const landing = store.commitInBackground(view)
  await store.close(view.state)
  assert.equal(await landing, true)
  const again = StateStore.open(dir)
  t.after(() => again.close())
  assert.equal(stored(again, 'a'), 1)
  assert.deepEqual(hex(again.readMeta()?.root), hex(view.state.root()))
})
