// examples/simple-registry.js (seed 001 §5.1): keys by username, validation, non-writers, and the
// key-change history a monitor reads from the index log.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CallError, type Json } from '../src/index.js'
import { exampleHarness } from './helpers/example-db.js'

const { open, send, succeeds, fails, read } = exampleHarness('simple-registry.js', { oplogs: ['service', 'backup'] })

test('simple-registry: exposes get and put', async (t) => {
  const db = await open(t)
  for (const m of ['get', 'put']) assert.ok((await db.methods()).includes(m), `methods lack ${m}: ${(await db.methods()).join(', ')}`)
})

test('simple-registry: put maps a username to a key; get reads it back', async (t) => {
  const db = await open(t)
  assert.equal(await read(db, 'get', { username: 'alice' }), null)
  const r = await succeeds(db, 'put', { username: 'alice', publicKey: 'ed25519:AAAA' }, 'service')
  assert.deepEqual(r.changes, [{ type: 'put', key: '/users/alice', value: 'ed25519:AAAA' }])
  await succeeds(db, 'put', { username: 'bob.smith', publicKey: 'ed25519:BBBB' }, 'service')
  assert.equal(await read(db, 'get', { username: 'alice' }), 'ed25519:AAAA')
  assert.equal(await read(db, 'get', { username: 'bob.smith' }), 'ed25519:BBBB')
  await succeeds(db, 'put', { username: 'alice', publicKey: 'ed25519:CCCC' }, 'service')
  assert.equal(await read(db, 'get', { username: 'alice' }), 'ed25519:CCCC')
  assert.equal(await read(db, 'get', { username: 'carol' }), null)
})

test('simple-registry: malformed usernames and keys are rejected and change nothing', async (t) => {
  const db = await open(t)
  await succeeds(db, 'put', { username: 'alice', publicKey: 'ed25519:AAAA' }, 'service')
  await fails(db, 'put', { username: 'Alice', publicKey: 'k' }, 'service', /username must be/)
  await fails(db, 'put', { username: '', publicKey: 'k' }, 'service', /username must be/)
  await fails(db, 'put', { username: 'a/b', publicKey: 'k' }, 'service', /username must be/)
  await fails(db, 'put', { username: 'x'.repeat(65), publicKey: 'k' }, 'service', /username must be/)
  await fails(db, 'put', { username: 'alice', publicKey: '' }, 'service', /publicKey must be a string of 1 to 1024/)
  await fails(db, 'put', { username: 'alice', publicKey: 42 }, 'service', /publicKey must be a string/)
  await fails(db, 'put', { username: 'alice', publicKey: null }, 'service', /publicKey must be a string/)
  // An op cannot even hold a missing field: the call fails before anything is published.
  await assert.rejects(db.call('put', { username: 'alice' }, { as: 'service' }), (err: unknown) => {
    assert.ok(err instanceof CallError)
    assert.match(err.message, /publicKey/)
    return true
  })
  assert.equal(await read(db, 'get', { username: 'alice' }), 'ed25519:AAAA')
})

test('simple-registry: an oplog that is not an input cannot change a key', async (t) => {
  const db = await open(t)
  await succeeds(db, 'put', { username: 'alice', publicKey: 'ed25519:AAAA' }, 'service')
  await db.createOplog('mallory')
  await assert.rejects(db.call('put', { username: 'alice', publicKey: 'ed25519:EVIL' }, { as: 'mallory' }), (err: unknown) => {
    assert.ok(err instanceof CallError)
    assert.equal(err.code, 'NOT_A_WRITER')
    return true
  })
  await db.settled()
  assert.equal(await read(db, 'get', { username: 'alice' }), 'ed25519:AAAA')
  assert.deepEqual(db.list(''), [{ key: '/users/alice', value: 'ed25519:AAAA' }])
})

test('simple-registry: every key change is in the index log with the oplog that made it', async (t) => {
  const db = await open(t, { oplogs: ['service', 'backup'] })
  await succeeds(db, 'put', { username: 'alice', publicKey: 'k1' }, 'service')
  await fails(db, 'put', { username: 'alice', publicKey: '' }, 'service', /publicKey/)
  await succeeds(db, 'put', { username: 'bob', publicKey: 'k2' }, 'backup')
  await succeeds(db, 'put', { username: 'alice', publicKey: 'k3' }, 'backup')
  // What a participant watching the log sees: who changed which username to what.
  const seen: { origin: string; key: string; value: Json }[] = []
  for (const item of await db.history({ log: 'index' })) {
    if (item.log !== 'index' || item.entry.type !== 'op') continue
    for (const c of item.entry.changes) {
      if (c.type === 'put') seen.push({ origin: item.entry.ack.origin, key: c.key, value: c.value })
    }
  }
  const { service, backup } = db.oplogs
  assert.deepEqual(seen, [
    { origin: service, key: '/users/alice', value: 'k1' },
    { origin: backup, key: '/users/bob', value: 'k2' },
    { origin: backup, key: '/users/alice', value: 'k3' },
  ])
})
