// A state store closed cleanly records its data file's bytes, and an open that finds the same bytes
// skips the probe in a child process. Anything that changed the file since (a crash after a
// commit, a flipped byte, a damaged or missing record) does not match, so the store is probed.

import assert from 'node:assert/strict'
import { open, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { closedCleanly, markClosedCleanly } from '../src/state/store/clean-close.js'
import { AuthMap } from '../src/state/auth/auth-map.js'
import { probeStore } from '../src/state/store/state-store.js'
import { removeMapSnapshot } from '../src/state/store/map-snapshot.js'
import { closeAsIfKilled, example, send1, tempDir } from './helpers/databases.js'

const storeOf = (dir: string) => path.join(dir, 'state')

test('a clean close is recorded; a flipped byte or a damaged record no longer matches it', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  await send1(db, 'put', { key: 'a', value: 1 })
  await db.close()
  assert.equal(closedCleanly(storeOf(dir)), true)

  const data = path.join(storeOf(dir), 'data.mdb')
  const original = await readFile(data)
  const f = await open(data, 'r+')
  await f.write(Buffer.from([original[original.length - 1] ^ 1]), 0, 1, original.length - 1)
  await f.close()
  assert.equal(closedCleanly(storeOf(dir)), false, 'one flipped byte at the end of the file')
  await writeFile(data, original)
  assert.equal(closedCleanly(storeOf(dir)), true)

  const record = path.join(storeOf(dir), 'closed-cleanly')
  await writeFile(record, 'not a digest\n')
  assert.equal(closedCleanly(storeOf(dir)), false, 'a damaged record')
  await writeFile(record, '')
  assert.equal(closedCleanly(storeOf(dir)), false, 'an empty record')
})

test('a store changed after its last clean close (a crash after a commit) is probed, and opens with the right state', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  await send1(db, 'put', { key: 'a', value: 1 })
  await db.close()
  const running = await Database.load(dir)
  await send1(running, 'put', { key: 'b', value: 2 })
  const expected = running.list('')
  // The store takes the op's state (as it does once blocks stop coming for a moment).
  await running.settled()
  // The op committed, the record still the previous close's.
  await closeAsIfKilled(t, running, dir)

  assert.equal(closedCleanly(storeOf(dir)), false)
  assert.deepEqual(await probeStore(dir), { problem: null, cleanClose: false }, 'the probe finds the store readable')
  const again = await Database.load(dir)
  try {
    assert.deepEqual(again.list(''), expected)
    assert.deepEqual([again.stateLoad.from, again.stateLoad.folded], ['store', 0])
    assert.equal(again.stateLoad.fromLeafHashes, false, 'every value was hashed: the file is not the one a clean close left')
  } finally {
    await again.close()
  }
  assert.equal(closedCleanly(storeOf(dir)), true, 'closed cleanly again')
  const clean = await Database.load(dir)
  try {
    assert.deepEqual(clean.list(''), expected)
    assert.deepEqual([clean.stateLoad.from, clean.stateLoad.fromLeafHashes], ['store', true], 'a clean close: the stored leaf hashes, no value hashed')
  } finally {
    await clean.close()
  }
})

test('a store closed cleanly and then overwritten with garbage is probed and rebuilt from the log', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  await send1(db, 'put', { key: 'a', value: 1 })
  const expected = db.list('')
  await db.close()
  const data = path.join(storeOf(dir), 'data.mdb')
  const size = (await readFile(data)).length
  await writeFile(data, Buffer.alloc(size, 0x5a))
  assert.notEqual((await probeStore(dir)).problem, null, 'the probe refuses the garbage')
  const again = await Database.load(dir)
  try {
    assert.deepEqual(again.list(''), expected)
    assert.equal(again.stateLoad.from, 'log')
  } finally {
    await again.close()
  }
})

test('stored leaf hashes are trusted only as far as they give the recorded root: one changed, with a matching record, is rebuilt', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  await send1(db, 'put', { key: 'a', value: 'leaf-hash-guard' })
  const expected = db.list('')
  await db.close()
  // The leaf hash stored before the value of /values/a, with one bit flipped.
  const one = new AuthMap()
  one.apply([{ type: 'put', key: '/values/a', value: 'leaf-hash-guard' }])
  const leaf = Buffer.from(one.leafHashOf('/values/a')!)
  const data = path.join(storeOf(dir), 'data.mdb')
  const bytes = await readFile(data)
  const at = bytes.indexOf(leaf)
  assert.ok(at >= 0, 'the leaf hash is stored beside the value')
  const f = await open(data, 'r+')
  await f.write(Buffer.from([bytes[at] ^ 1]), 0, 1, at)
  await f.close()
  // A record that matches the changed file (a disk that lies consistently, say): the open trusts it...
  markClosedCleanly(storeOf(dir))
  // (Without the map the close wrote: with it, the stored leaf hashes are not even read.)
  removeMapSnapshot(storeOf(dir))
  assert.deepEqual(await probeStore(dir), { problem: null, cleanClose: true })
  // ...and the root the leaf hashes give is not the recorded one, so the store is rebuilt from the log.
  const again = await Database.load(dir)
  try {
    assert.deepEqual(again.list(''), expected)
    assert.equal(again.stateLoad.from, 'log')
    assert.match(again.stateLoad.discarded ?? '', /its leaf hashes do not give the state root it records/)
  } finally {
    await again.close()
  }
})
