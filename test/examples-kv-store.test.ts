// examples/kv-store.js: values, the admin claim, and participant changes only the admin may make.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CallError } from '../src/index.js'
import { exampleHarness } from './helpers/example-db.js'

const { open, send, succeeds, fails, read } = exampleHarness('kv-store.js')

function notAWriter(err: unknown): boolean {
  assert.ok(err instanceof CallError, `expected a CallError, got ${String(err)}`)
  assert.equal(err.code, 'NOT_A_WRITER')
  return true
}

test('kv-store: exposes its methods', async (t) => {
  const db = await open(t)
  for (const m of ['get', 'list', 'put', 'delete', 'claimAdmin', 'getAdmin', 'addParticipant', 'removeParticipant']) {
    assert.ok((await db.methods()).includes(m), `methods lack ${m}: ${(await db.methods()).join(', ')}`)
  }
})

test('kv-store: put, get, list and delete JSON values', async (t) => {
  const db = await open(t)
  const put = await succeeds(db, 'put', { key: 'greeting', value: 'hello' }, 'alice')
  assert.deepEqual(put.changes, [{ type: 'put', key: '/values/greeting', value: 'hello' }])
  await succeeds(db, 'put', { key: 'config', value: { depth: 3, tags: ['a', 'b'], on: true } }, 'bob')
  await succeeds(db, 'put', { key: 'nothing', value: null }, 'carol')
  assert.equal(await read(db, 'get', { key: 'greeting' }), 'hello')
  assert.deepEqual(await read(db, 'get', { key: 'config' }), { depth: 3, tags: ['a', 'b'], on: true })
  assert.equal(await read(db, 'get', { key: 'missing' }), null)
  assert.deepEqual(await read(db, 'list'), [
    { key: 'config', value: { depth: 3, tags: ['a', 'b'], on: true } },
    { key: 'greeting', value: 'hello' },
    { key: 'nothing', value: null },
  ])
  await succeeds(db, 'put', { key: 'greeting', value: 'hi' }, 'carol')
  assert.equal(await read(db, 'get', { key: 'greeting' }), 'hi')
  const del = await succeeds(db, 'delete', { key: 'greeting' }, 'bob')
  assert.deepEqual(del.changes, [{ type: 'del', key: '/values/greeting' }])
  assert.equal(db.get('/values/greeting'), null)
  assert.deepEqual(
    db.list('/values/').map((e) => e.key),
    ['/values/config', '/values/nothing'],
  )
})

test('kv-store: bad keys, missing values and deleting absent keys are rejected', async (t) => {
  const db = await open(t)
  await succeeds(db, 'put', { key: 'k', value: 1 }, 'alice')
  await fails(db, 'put', { key: '', value: 1 }, 'alice', /key must be a string of 1 to 512/)
  await fails(db, 'put', { key: 7, value: 1 }, 'alice', /key must be a string/)
  await fails(db, 'put', { key: 'x'.repeat(513), value: 1 }, 'alice', /key must be a string of 1 to 512/)
  await fails(db, 'delete', { key: 'absent' }, 'bob', /no value at key "absent"/)
  await assert.rejects(db.call('put', { key: 'k' }, { as: 'alice' }), /put needs a value/)
  await db.settled()
  assert.deepEqual(db.list('/values/'), [{ key: '/values/k', value: 1 }])
})

test('kv-store: the first claim makes the admin; later claims fail', async (t) => {
  const db = await open(t)
  assert.equal(await read(db, 'getAdmin'), null)
  await fails(db, 'addParticipant', { pubkey: 'a'.repeat(64) }, 'alice', /no admin yet/)
  await succeeds(db, 'claimAdmin', {}, 'bob')
  assert.equal(await read(db, 'getAdmin'), db.oplogs.bob)
  await fails(db, 'claimAdmin', {}, 'alice', /admin is already/)
  await fails(db, 'claimAdmin', {}, 'bob', /admin is already/)
  assert.equal(await read(db, 'getAdmin'), db.oplogs.bob)
})

test('kv-store: only the admin adds participants, and a new participant can then write', async (t) => {
  const db = await open(t)
  await succeeds(db, 'claimAdmin', {}, 'alice')
  const dave = await db.createOplog('dave')
  await assert.rejects(db.call('put', { key: 'k', value: 'dave' }, { as: 'dave' }), notAWriter)

  await fails(db, 'addParticipant', { pubkey: dave }, 'bob', /only the admin .* may change participants/)
  await fails(db, 'addParticipant', { pubkey: dave }, 'carol', /only the admin/)
  assert.equal(db.get(`.sys/inputs/${dave}`), null)
  await fails(db, 'addParticipant', { pubkey: 'not-a-key' }, 'alice', /pubkey must be 64 lowercase hex/)
  await fails(db, 'addParticipant', { pubkey: db.oplogs.bob }, 'alice', /already a participant/)

  await succeeds(db, 'addParticipant', { pubkey: dave }, 'alice')
  assert.ok(db.get(`.sys/inputs/${dave}`), 'dave is an input')
  assert.ok(((await read(db, 'listParticipants')) as string[]).includes(dave))
  const put = await succeeds(db, 'put', { key: 'k', value: 'dave' }, 'dave')
  assert.equal(put.origin, dave)
  assert.equal(await read(db, 'get', { key: 'k' }), 'dave')
})

test('kv-store: only the admin removes participants, and a removed one can no longer write', async (t) => {
  const db = await open(t)
  await succeeds(db, 'claimAdmin', {}, 'alice')
  await fails(db, 'removeParticipant', { pubkey: db.oplogs.carol }, 'bob', /only the admin/)
  await fails(db, 'removeParticipant', { pubkey: db.oplogs.alice }, 'alice', /cannot remove itself/)
  await fails(db, 'removeParticipant', { pubkey: 'b'.repeat(64) }, 'alice', /is not a participant/)
  await succeeds(db, 'put', { key: 'before', value: 1 }, 'carol')

  await succeeds(db, 'removeParticipant', { pubkey: db.oplogs.carol }, 'alice')
  assert.equal(db.get(`.sys/inputs/${db.oplogs.carol}`), null)
  assert.deepEqual(((await read(db, 'listParticipants')) as string[]).sort(), [db.oplogs.alice, db.oplogs.bob].sort())
  await assert.rejects(db.call('put', { key: 'after', value: 2 }, { as: 'carol' }), notAWriter)
  await db.settled()
  assert.equal(await read(db, 'get', { key: 'after' }), null)
  assert.equal(await read(db, 'get', { key: 'before' }), 1)
  // The others still write.
  await succeeds(db, 'put', { key: 'after', value: 3 }, 'bob')
})
