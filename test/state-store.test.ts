// The state store (src/state/store/): a restart resumes from it and folds only the log's tail; a
// store behind the log catches up; one ahead of the log, with a wrong root or damaged bytes is
// discarded and rebuilt without an error; values served from disk are the written ones.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { cp, open, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import fc from 'fast-check'
import { encode } from '../src/codec/canonical.js'
import { Database, type Json, type StateEntry } from '../src/index.js'
import { AuthMap, proveKey, verifyKeyProof, type ValueSource } from '../src/state/auth/index.js'
import { IndexState } from '../src/state/index-state.js'
import type { Undo } from '../src/state/memory-state.js'
import type { Change } from '../src/vm/types.js'
import { LogStore } from '../src/log/store.js'
import { closeAsIfKilled, example, send, tempDir, withoutExecutor } from './helpers/databases.js'

/** A kv-store database in a temporary directory, with its executor, blocks of `blockSize` ops. */
async function kvDatabase(t: TestContext, blockSize = 8): Promise<{ dir: string; db: Database }> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), executor: { blockSize } })
  return { dir, db }
}

/** Puts n keys (`${tag}${i}`), as calls that all go in before the executor settles. */
async function putMany(db: Database, n: number, tag = 'k', value: (i: number) => Json = (i) => ({ i, text: 'v'.repeat(90) })): Promise<void> {
  const calls = []
  for (let i = 0; i < n; i++) calls.push(await db.call('put', { key: `${tag}${i}`, value: value(i) }))
  for (const c of calls) await c.whenProcessed()
}

interface Snapshot {
  length: number
  root: string
  entries: StateEntry[]
}

async function snapshot(db: Database): Promise<Snapshot> {
  const info = await db.info()
  return { length: info.length, root: info.stateRoot, entries: db.list('.sys/').concat(db.list('')) }
}

const stateOf = (dir: string) => path.join(dir, 'state')

/** The state a fresh fold of the (closed) directory's log gives: the store is moved aside meanwhile. */
async function freshFold(dir: string): Promise<Snapshot> {
  const aside = `${stateOf(dir)}.aside`
  await rename(stateOf(dir), aside)
  try {
    const db = await Database.load(dir, { execute: false })
    try {
      assert.equal(db.stateLoad.from, 'log')
      return await snapshot(db)
    } finally {
      await db.close()
    }
  } finally {
    await rm(stateOf(dir), { recursive: true, force: true })
    await rename(aside, stateOf(dir))
  }
}

async function reopen(dir: string): Promise<Database> {
  return Database.load(dir, { executor: { blockSize: 8 } })
}

test('a restart resumes from the store: nothing is folded, and the state is the one a full fold gives', async (t) => {
  const { dir, db } = await kvDatabase(t)
  await putMany(db, 100)
  const before = await snapshot(db)
  await db.close()

  const again = await reopen(dir)
  try {
    assert.deepEqual(again.stateLoad, { from: 'store', storedLength: before.length, folded: 0, discarded: null, persistent: true, fromLeafHashes: true, fromSnapshot: true })
    assert.deepEqual(await snapshot(again), before)
    // Acks come back from the store: an op processed before the restart is found where it was.
    const [first] = await send(again, 'put', { key: 'k0', value: 'changed' })
    assert.equal(first.success, true)
    assert.deepEqual(again.get('/values/k0'), { key: '/values/k0', value: 'changed' })
  } finally {
    await again.close()
  }
  const after = await reopen(dir)
  const resumed = await snapshot(after)
  await after.close()
  assert.deepEqual(resumed, await freshFold(dir))
})

test('acks and values read back from the store are the ones written', async (t) => {
  const { dir, db } = await kvDatabase(t)
  const ops = []
  for (let i = 0; i < 30; i++) ops.push(...(await db.call('put', { key: `a${i}`, value: [i, { nested: `x${i}` }, null, true] })).ops)
  const results = await db.whenProcessed(ops)
  await db.close()

  const again = await reopen(dir)
  try {
    assert.equal(again.stateLoad.from, 'store')
    assert.deepEqual(await again.whenProcessed(ops), results)
    for (let i = 0; i < 30; i++) assert.deepEqual(again.get(`/values/a${i}`)?.value, [i, { nested: `x${i}` }, null, true])
    // A proof made from values on disk verifies against the root.
    const proof = proveKey(Reflect.get(again, 'view').state as AuthMap, '/values/a7')
    assert.equal(verifyKeyProof(proof, Buffer.from((await again.info()).stateRoot, 'hex')).valid, true)
  } finally {
    await again.close()
  }
})

test('a store behind the log (a crash after an append, before the commit) catches up by folding the tail', async (t) => {
  const { dir, db } = await kvDatabase(t)
  await putMany(db, 40, 'old')
  const stale = await snapshot(db)
  await db.close()
  const aside = await tempDir(t)
  await cp(stateOf(dir), aside, { recursive: true })

  const more = await reopen(dir)
  await putMany(more, 40, 'new')
  await send(more, 'delete', { key: 'old3' })
  await more.close()
  await rm(stateOf(dir), { recursive: true })
  await cp(aside, stateOf(dir), { recursive: true })

  const again = await reopen(dir)
  try {
    assert.equal(again.stateLoad.from, 'store')
    assert.equal(again.stateLoad.storedLength, stale.length)
    assert.equal(again.stateLoad.folded, again.length - stale.length)
    assert.ok(again.stateLoad.folded > 40)
    assert.equal(again.get('/values/old3'), null)
    // The executor goes on from the caught-up state: the next op of the oplog is the next one owed.
    const [r] = await send(again, 'put', { key: 'after', value: 1 })
    assert.equal(r.success, true)
  } finally {
    await again.close()
  }
  // The catch-up was written: the next open folds nothing, and has the state a full fold gives.
  const last = await reopen(dir)
  const resumed = await snapshot(last)
  try {
    assert.equal(last.stateLoad.from, 'store')
    assert.equal(last.stateLoad.folded, 0)
  } finally {
    await last.close()
  }
  assert.deepEqual(resumed, await freshFold(dir))
})

test('a store ahead of the log is discarded and rebuilt, without an error', async (t) => {
  const { dir, db } = await kvDatabase(t)
  await putMany(db, 20, 'a')
  const older = db.length
  await putMany(db, 20, 'b')
  await db.close()
  // The log loses its tail but the store keeps it: what a power loss between the two could leave.
  const logs = new LogStore(dir)
  await logs.ready()
  await (await logs.localIndex()).truncate(older)
  await logs.close()

  const again = await Database.load(dir, { execute: false })
  let rebuilt: Snapshot
  try {
    assert.equal(again.stateLoad.from, 'log')
    assert.match(again.stateLoad.discarded ?? '', /ahead of the index log/)
    assert.equal(again.length, older)
    assert.equal(again.get('/values/b0'), null)
    rebuilt = await snapshot(again)
  } finally {
    await again.close()
  }
  const last = await Database.load(dir, { execute: false })
  try {
    assert.deepEqual([last.stateLoad.from, last.stateLoad.folded], ['store', 0])
  } finally {
    await last.close()
  }
  assert.deepEqual(rebuilt, await freshFold(dir))
})

test('a store whose root is not the one the log claims is discarded and rebuilt', async (t) => {
  // Two databases with logs of the same length but different values: swap their stores.
  const one = await kvDatabase(t)
  const two = await kvDatabase(t)
  // One op per block in both, so the logs have the same length.
  for (let i = 0; i < 10; i++) {
    await send(one.db, 'put', { key: `k${i}`, value: i })
    await send(two.db, 'put', { key: `k${i}`, value: i + 1 })
  }
  assert.equal(one.db.length, two.db.length)
  await one.db.close()
  await two.db.close()
  await rm(stateOf(one.dir), { recursive: true })
  await cp(stateOf(two.dir), stateOf(one.dir), { recursive: true })

  const again = await reopen(one.dir)
  try {
    assert.equal(again.stateLoad.from, 'log')
    assert.match(again.stateLoad.discarded ?? '', /root|acks|seal/)
    assert.equal(again.get('/values/k3')?.value, 3)
  } finally {
    await again.close()
  }
})

test('a store with garbage, truncated or flipped bytes is discarded and rebuilt, without an error', async (t) => {
  const { dir, db } = await kvDatabase(t, 64)
  await putMany(db, 300)
  const expected = await snapshot(db)
  await db.close()
  const pristine = await tempDir(t)
  await cp(stateOf(dir), stateOf(pristine), { recursive: true })
  const data = path.join(stateOf(dir), 'data.mdb')
  const size = (await stat(data)).size
  let seed = 7
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0)

  const damages: [string, () => Promise<void>][] = [
    ['garbage', async () => {
      const f = await open(data, 'r+')
      await f.write(Buffer.from(Array.from({ length: size }, rnd)), 0, size, 0)
      await f.close()
    }],
    ['truncated', async () => {
      const f = await open(data, 'r+')
      await f.truncate(size >> 1)
      await f.close()
    }],
    ['flipped', async () => {
      const f = await open(data, 'r+')
      for (let k = 0; k < 40; k++) await f.write(Buffer.from([rnd() & 255]), 0, 1, 8192 + (rnd() % (size - 8192)))
      await f.close()
    }],
    ['lock file', async () => {
      const lock = path.join(stateOf(dir), 'lock.mdb')
      await open(lock, 'w').then((f) => f.write(Buffer.alloc(64, 0xab)).then(() => f.close()))
    }],
    ['empty directory', async () => {
      for (const name of await readdir(stateOf(dir))) await rm(path.join(stateOf(dir), name))
    }],
  ]
  for (const [name, damage] of damages) {
    await rm(stateOf(dir), { recursive: true })
    await cp(stateOf(pristine), stateOf(dir), { recursive: true })
    await damage()
    const again = await reopen(dir)
    try {
      assert.deepEqual(await snapshot(again), expected, name)
      if (again.stateLoad.from === 'log') assert.equal(again.stateLoad.folded, expected.length, name)
    } finally {
      await again.close()
    }
    const last = await reopen(dir)
    try {
      assert.deepEqual([last.stateLoad.from, last.stateLoad.folded], ['store', 0], `${name}: the rebuilt store is used next time`)
    } finally {
      await last.close()
    }
  }
})

test('a failed append reverts memory and leaves the store at the last written block', async (t) => {
  const { dir, db } = await kvDatabase(t)
  await putMany(db, 20)
  await db.close()
  const again = await reopen(dir)
  const committed = await snapshot(again)
  // Values now come from the store; a block overwrites and deletes some, then its append fails.
  const index = Reflect.get(again, 'index') as { append: (blocks: Buffer[]) => Promise<unknown> }
  index.append = async () => {
    throw new Error('disk full (simulated)')
  }
  const calls = [
    await again.call('put', { key: 'k1', value: 'overwritten' }),
    await again.call('delete', { key: 'k2' }),
    await again.call('put', { key: 'fresh', value: 'new' }),
  ]
  await assert.rejects(calls[0].whenProcessed(), /disk full/)
  try {
    assert.deepEqual(await snapshot(again), committed)
    assert.deepEqual(again.get('/values/k1')?.value, { i: 1, text: 'v'.repeat(90) })
  } finally {
    await again.close()
  }
  const last = await reopen(dir)
  try {
    assert.deepEqual([last.stateLoad.from, last.stateLoad.folded, last.stateLoad.storedLength], ['store', 0, committed.length])
    await last.settled()
    // The ops that failed to be written are processed now, from the consistent state.
    assert.equal(last.get('/values/k1')?.value, 'overwritten')
    assert.equal(last.get('/values/k2'), null)
  } finally {
    await last.close()
  }
})

// The AuthMap side: values in a source, read on demand and checked against their leaf hashes.

class MapSource implements ValueSource {
  readonly bytes = new Map<string, Uint8Array>()
  reads = 0
  read(key: string): Uint8Array | undefined {
    this.reads++
    return this.bytes.get(key)
  }
  /** What a store commit does: write the unsaved keys, then let the map release them. */
  commit(map: AuthMap): void {
    for (const key of map.unsaved ?? []) {
      const v = map.get(key)
      if (v === undefined) this.bytes.delete(key)
      else this.bytes.set(key, encode(v))
    }
    map.markStored()
  }
}

function storedMap(entries: [string, Json][]): { map: AuthMap; source: MapSource } {
  const source = new MapSource()
  const sorted = entries.map(([key, value]) => ({ key, value })).sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
  for (const e of sorted) source.bytes.set(e.key, encode(e.value))
  const map = AuthMap.fromStored(
    sorted.map((e) => ({ key: e.key, encoded: encode(e.value) })),
    source,
  )
  return { map, source }
}

test('an AuthMap over a value source has the root and answers of one in memory', () => {
  const entries: [string, Json][] = Array.from({ length: 200 }, (_, i) => [`/k/${i}`, { i, s: 'x'.repeat(i % 7) }])
  const { map, source } = storedMap(entries)
  const memory = AuthMap.fromSorted([...storedMap(entries).source.bytes.keys()].map((key) => ({ key, value: entries.find(([k]) => k === key)![1] })))
  assert.deepEqual(map.root(), memory.root())
  assert.equal(source.reads, 0, 'building reads no value back')
  assert.deepEqual(map.get('/k/42'), { i: 42, s: '' })
  assert.deepEqual(map.list('/k/1', { limit: 3 }), memory.list('/k/1', { limit: 3 }))
  assert.deepEqual([...map.entries()], [...memory.entries()])
  // A source that answers with another value is caught, not believed.
  source.bytes.set('/k/5', encode({ i: 5, s: 'forged' }))
  assert.throws(() => map.get('/k/5'), { code: 'STORE_INTEGRITY', key: '/k/5' })
  source.bytes.delete('/k/6')
  assert.throws(() => map.get('/k/6'), { code: 'STORE_INTEGRITY', key: '/k/6', found: null })
})

test('an AuthMap built from stored leaf hashes has the root and answers of one in memory, and still checks each value read', () => {
  const entries: [string, Json][] = Array.from({ length: 200 }, (_, i) => [`/k/${String(i).padStart(3, '0')}`, { i }])
  const memory = AuthMap.fromSorted(entries.map(([key, value]) => ({ key, value })))
  const { source } = storedMap(entries)
  // Records as the state store keeps them: the leaf hash, then the value (only the hash is read here).
  const leaves = entries.map(([key]) => ({ key, leaf: Buffer.concat([memory.leafHashOf(key)!, source.bytes.get(key)!]) }))
  const map = AuthMap.fromLeafHashes(leaves, source)
  assert.deepEqual(map.root(), memory.root())
  assert.equal(source.reads, 0, 'building reads no value')
  assert.deepEqual(map.get('/k/042'), { i: 42 })
  source.bytes.set('/k/005', encode({ i: 6 }))
  assert.throws(() => map.get('/k/005'), { code: 'STORE_INTEGRITY', key: '/k/005' })
  assert.throws(() => AuthMap.fromLeafHashes([{ key: '/a', leaf: new Uint8Array(31) }], source), /31 bytes, not 32/)
})

const change = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), value: fc.integer() }),
  fc.record({ type: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f') }),
)

test('property: with values in a source, apply, revert and commits agree with a map in memory', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(change, { maxLength: 8 }), fc.boolean()), { maxLength: 12 }), (blocks) => {
      const { map, source } = storedMap([['a', 1], ['c', 3]])
      const memory = AuthMap.fromSorted([{ key: 'a', value: 1 }, { key: 'c', value: 3 }])
      for (const [changes, fails] of blocks) {
        const undo: Undo[] = []
        map.apply(changes as Change[], undo)
        if (fails) map.revert(undo)
        else {
          memory.apply(changes as Change[])
          source.commit(map)
        }
        assert.deepEqual(map.root(), memory.root())
        assert.deepEqual([...map.entries()], [...memory.entries()])
        // What the source holds plus what is unsaved is the state.
        const committed = [...source.bytes.keys()].sort()
        if (!fails) assert.deepEqual(committed, memory.list('').map((e) => e.key))
      }
    }),
    { numRuns: 300 },
  )
})

test('an IndexState built on a stored map folds like a fresh one', () => {
  const view = new IndexState(storedMap([['/x', 1]]).map)
  view.fold({ type: 'genesis' })
  assert.equal(view.genesisDone, true)
  assert.equal(view.length, 1)
  assert.equal(view.state.get('/x'), 1)
})

test('the store takes the state at the end of a burst of blocks, not after each, and holds the head once settled or closed', async (t) => {
  const { dir, db } = await kvDatabase(t, 1)
  await db.close()
  // Fifty ops waiting when the executor starts: fifty blocks of one op, each appended while the next executes.
  await withoutExecutor(dir, async (idle) => {
    for (let i = 0; i < 50; i++) await idle.call('put', { key: `k${i}`, value: i })
  })
  const running = await Database.load(dir, { executor: { blockSize: 1 } })
  const store = (running as unknown as { store: { stats: { commits: number } } }).store
  await running.settled()
  assert.equal(running.list('/values/').length, 50)
  assert.ok(store.stats.commits < 25, `${store.stats.commits} commits for 50 blocks`)
  const expected = running.list('/values/')
  await running.close()
  const again = await Database.load(dir)
  t.after(() => again.close())
  assert.deepEqual([again.stateLoad.from, again.stateLoad.folded], ['store', 0], 'the store held the head')
  assert.deepEqual(again.list('/values/'), expected)
})

test('once blocks stop coming the store takes the state by itself, durably: a crash then folds nothing', { timeout: 30_000 }, async (t) => {
  const { dir, db } = await kvDatabase(t)
  const stored: number[] = []
  db.on('stored', ({ length }: { length: number }) => stored.push(length))
  await send(db, 'put', { key: 'a', value: 1 })
  await send(db, 'put', { key: 'b', value: 2 })
  const head = (await db.info()).length
  // Neither settled() nor close(): the store commits once no block has come for a moment.
  while (!stored.some((length) => length >= head)) await once(db, 'stored')
  const expected = db.list('/values/')
  await closeAsIfKilled(t, db, dir)
  const again = await Database.load(dir)
  t.after(() => again.close())
  assert.deepEqual([again.stateLoad.from, again.stateLoad.storedLength, again.stateLoad.folded], ['store', head, 0])
  assert.deepEqual(again.list('/values/'), expected)
})
