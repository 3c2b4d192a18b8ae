// The state map a clean close writes beside the store (state/store/map-snapshot.ts): read back at the
// next open instead of rebuilt, and used only whole, with its checksum, and holding the root the
// store records; anything else falls back to building the map from the stored leaf hashes.

import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { encode } from '../src/codec/canonical.js'
import { Database } from '../src/index.js'
import { AuthMap } from '../src/state/auth/auth-map.js'
import { proveKey } from '../src/state/auth/prove.js'
import { decodeMapSnapshot, encodeMapSnapshot, mapSnapshotFile } from '../src/state/store/map-snapshot.js'
import type { Json } from '../src/vm/types.js'
import { closeAsIfKilled, example, send1, tempDir } from './helpers/databases.js'

const storeOf = (dir: string) => path.join(dir, 'state')

/** A map whose values all sit in a source of canonical encodings, as the state store's do. */
function storedMap(changes: [string, Json | undefined][]): { map: AuthMap; source: { read(key: string): Uint8Array | undefined } } {
  const held = new Map<string, Uint8Array>()
  const source = { read: (key: string) => held.get(key) }
  const map = new AuthMap()
  map.attachSource(source)
  for (const [key, value] of changes) {
    if (value === undefined) map.delete(key)
    else map.put(key, value)
  }
  for (const key of map.unsaved ?? []) {
    const value = map.get(key)
    if (value === undefined) held.delete(key)
    else held.set(key, encode(value))
  }
  map.markStored()
  return { map, source }
}

const manyChanges = (): [string, Json | undefined][] => {
  const changes: [string, Json | undefined][] = []
  for (let i = 0; i < 3000; i++) changes.push([`/k/${i}`, { n: i, s: 'é'.repeat(i % 5) }])
  // Deletes leave free slots in the arrays, and keys outside Latin-1 take two UTF-16 units a character.
  for (let i = 0; i < 3000; i += 7) changes.push([`/k/${i}`, undefined])
  changes.push(['/ключ/𝄞', 'non-ASCII key'], ['', 'the empty key'])
  return changes
}

test('a snapshot reads back the very map: same root, answers and proofs, and it changes as the original does', () => {
  const { map, source } = storedMap(manyChanges())
  const root = map.root()
  const back = decodeMapSnapshot(encodeMapSnapshot(map), root, source)
  assert.ok(back, 'the snapshot decodes')
  assert.deepEqual(back.root(), root)
  assert.equal(back.size, map.size)
  assert.deepEqual([...back.entries()], [...map.entries()])
  for (const key of ['/k/1', '/k/7', '/ключ/𝄞', '', '/absent']) assert.deepEqual(proveKey(back, key), proveKey(map, key), key)
  // The free slots and capacities came back too: the same changes give the same roots.
  for (const m of [map, back]) {
    for (let i = 0; i < 500; i++) m.put(`/new/${i}`, i)
    for (let i = 1; i < 3000; i += 7) m.delete(`/k/${i}`)
  }
  assert.deepEqual(back.root(), map.root())
  assert.equal(back.memoryBytes(), map.memoryBytes(), 'no array doubled on the first put')
})

test('an empty map, and a map emptied by deletes, read back', () => {
  for (const changes of [[], [['/a', 1], ['/a', undefined]]] as [string, Json | undefined][][]) {
    const { map, source } = storedMap(changes)
    const back = decodeMapSnapshot(encodeMapSnapshot(map), map.root(), source)
    assert.ok(back)
    assert.deepEqual(back.root(), map.root())
    back.put('/b', 2)
    map.put('/b', 2)
    assert.deepEqual(back.root(), map.root())
  }
})

test('a snapshot with any byte changed, cut short, or of another root is refused', () => {
  const { map, source } = storedMap(manyChanges())
  const root = map.root()
  const bytes = encodeMapSnapshot(map)
  // Every region: the magic, the header, the arrays, the keys' text, the checksum.
  for (const at of [0, 30, 60, 100, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 40, bytes.length - 1]) {
    const flipped = Buffer.from(bytes)
    flipped[at] ^= 1
    assert.equal(decodeMapSnapshot(flipped, root, source), null, `byte ${at} flipped`)
  }
  assert.equal(decodeMapSnapshot(bytes.subarray(0, bytes.length - 1), root, source), null, 'cut short')
  assert.equal(decodeMapSnapshot(Buffer.concat([bytes, Buffer.alloc(1)]), root, source), null, 'a byte too many')
  const other = Buffer.from(root)
  other[0] ^= 1
  assert.equal(decodeMapSnapshot(bytes, other, source), null, 'another root')
  assert.ok(decodeMapSnapshot(bytes, root, source), 'the bytes themselves still decode')
  // Wherever the bytes sit in memory (a small file's read may come from a shared pool at any offset).
  const small = storedMap([['/a', 1], ['/b', 2]])
  for (const [m, src] of [[map, source], [small.map, small.source]] as const) {
    const odd = Buffer.concat([Buffer.alloc(3), encodeMapSnapshot(m)]).subarray(3)
    assert.equal(odd.byteOffset % 4, 3)
    assert.deepEqual(decodeMapSnapshot(odd, m.root(), src)?.root(), m.root())
  }
})

/** A kv database with some puts and a delete, closed cleanly; returns its state. */
async function closedDatabase(dir: string): Promise<{ entries: unknown; root: string }> {
  const db = await Database.create(dir, { contract: await example('kv-store') })
  for (let i = 0; i < 20; i++) await send1(db, 'put', { key: `k${i}`, value: { i } })
  await send1(db, 'delete', { key: 'k3' })
  const state = { entries: db.list(''), root: (await db.info()).stateRoot }
  await db.close()
  return state
}

async function reopened(dir: string): Promise<{ db: Database; entries: unknown; root: string }> {
  const db = await Database.load(dir)
  return { db, entries: db.list(''), root: (await db.info()).stateRoot }
}

test('an open after a clean close reads the map back, and goes on to the state a fold from genesis gives', async (t) => {
  const dir = await tempDir(t)
  const expected = await closedDatabase(dir)
  const { db, entries, root } = await reopened(dir)
  let after: { entries: unknown; root: string }
  try {
    assert.deepEqual([db.stateLoad.from, db.stateLoad.fromSnapshot, db.stateLoad.fromLeafHashes], ['store', true, true])
    assert.deepEqual({ entries, root }, expected)
    await send1(db, 'put', { key: 'after', value: 'snapshot' })
    await send1(db, 'delete', { key: 'k5' })
    after = { entries: db.list(''), root: (await db.info()).stateRoot }
  } finally {
    await db.close()
  }
  const again = await reopened(dir)
  try {
    assert.equal(again.db.stateLoad.fromSnapshot, true, 'the second close wrote its own snapshot')
    assert.deepEqual({ entries: again.entries, root: again.root }, after)
  } finally {
    await again.db.close()
  }
  // The same log folded from genesis, with no store at all, gives the same state.
  await rm(storeOf(dir), { recursive: true })
  const fromLog = await reopened(dir)
  try {
    assert.equal(fromLog.db.stateLoad.from, 'log')
    assert.deepEqual({ entries: fromLog.entries, root: fromLog.root }, after)
  } finally {
    await fromLog.db.close()
  }
})

test('a snapshot that does not check out is passed over for the stored leaf hashes, and the state is the same', async (t) => {
  const dir = await tempDir(t)
  const expected = await closedDatabase(dir)
  const file = mapSnapshotFile(storeOf(dir))
  const good = await readFile(file)
  const header = (i: number) => good.readInt32LE(24 + 4 * i)
  // The root inner node's hash changed, and the checksum taken again over the change: the header
  // still names the store's root, but the map does not give it.
  const innerTop = header(2)
  const rootRef = header(1)
  assert.ok(rootRef >= 0, 'the root is an inner node')
  const lying = Buffer.from(good)
  lying[24 + 28 + 32 + 12 * innerTop + 32 * rootRef] ^= 1
  createHash('sha256').update(lying.subarray(0, lying.length - 32)).digest().copy(lying, lying.length - 32)
  const cases: [string, Buffer | null][] = [
    ['a flipped byte', Buffer.from(good.map((b, i) => (i === 200 ? b ^ 1 : b)))],
    ['a root node that does not give the root, under a checksum that matches', lying],
    ['a torn file', good.subarray(0, good.length >> 1)],
    ['no file', null],
  ]
  for (const [what, bytes] of cases) {
    if (bytes) await writeFile(file, bytes)
    else await rm(file)
    const { db, entries, root } = await reopened(dir)
    try {
      assert.deepEqual([db.stateLoad.from, db.stateLoad.fromSnapshot, db.stateLoad.fromLeafHashes, db.stateLoad.discarded], ['store', false, true, null], what)
      assert.deepEqual({ entries, root }, expected, what)
    } finally {
      await db.close()
    }
    // That close wrote a snapshot of its own, which the next open uses.
    const next = await reopened(dir)
    try {
      assert.equal(next.db.stateLoad.fromSnapshot, true, `${what}: the close wrote a snapshot again`)
      assert.deepEqual({ entries: next.entries, root: next.root }, expected, what)
    } finally {
      await next.db.close()
    }
  }
})

test('a snapshot from an earlier close is not used once the state moved on', async (t) => {
  const dir = await tempDir(t)
  await closedDatabase(dir)
  const file = mapSnapshotFile(storeOf(dir))
  const earlier = await readFile(file)
  const db = await Database.load(dir)
  await send1(db, 'put', { key: 'later', value: 1 })
  const expected = { entries: db.list(''), root: (await db.info()).stateRoot }
  await db.close()
  await writeFile(file, earlier)
  const { db: again, entries, root } = await reopened(dir)
  try {
    assert.deepEqual([again.stateLoad.fromSnapshot, again.stateLoad.fromLeafHashes], [false, true])
    assert.deepEqual({ entries, root }, expected)
  } finally {
    await again.close()
  }
})

test('a store a crash left (no clean close) does not read a snapshot, even one that is there', async (t) => {
  const dir = await tempDir(t)
  await closedDatabase(dir)
  const running = await Database.load(dir)
  await send1(running, 'put', { key: 'b', value: 2 })
  const expected = running.list('')
  // The store takes the op's state (as it does once blocks stop coming for a moment).
  await running.settled()
  // The op committed, the record and the snapshot the last close's.
  await closeAsIfKilled(t, running, dir)
  const again = await Database.load(dir)
  try {
    assert.deepEqual([again.stateLoad.from, again.stateLoad.fromSnapshot, again.stateLoad.fromLeafHashes], ['store', false, false])
    assert.deepEqual(again.list(''), expected)
  } finally {
    await again.close()
  }
})

test('an open that changes nothing keeps the snapshot it read; one that commits writes a new one', async (t) => {
  const dir = await tempDir(t)
  await closedDatabase(dir)
  const file = mapSnapshotFile(storeOf(dir))
  const written = (await stat(file)).ino
  const reader = await Database.load(dir)
  assert.equal(reader.stateLoad.fromSnapshot, true)
  assert.ok(reader.get('/values/k1'))
  await reader.close()
  assert.equal((await stat(file)).ino, written, 'not written again: the state did not change')
  const again = await reopened(dir)
  assert.equal(again.db.stateLoad.fromSnapshot, true, 'and still used')
  await send1(again.db, 'put', { key: 'new', value: 1 })
  await again.db.close()
  assert.notEqual((await stat(file)).ino, written, 'written again after a commit')
  const last = await reopened(dir)
  try {
    assert.equal(last.db.stateLoad.fromSnapshot, true)
    assert.ok(last.db.get('/values/new'))
  } finally {
    await last.db.close()
  }
})
