// examples/multisig-registry.js (seed 001 §5.1): a key takes effect only once a second,
// different participant verifies it; nobody can change a key alone.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CallError, Database } from '../src/index.js'
import { exampleHarness } from './helpers/example-db.js'

const { open, send, succeeds, fails, read } = exampleHarness('multisig-registry.js')

interface Pending {
  username: string
  publicKey: string
  proposer: string
}

async function pending(db: Database, username: string): Promise<Pending[]> {
  return (await read(db, 'getPending', { username })) as unknown as Pending[]
}

test('multisig-registry: exposes get, put, verify and getPending', async (t) => {
  const db = await open(t)
  for (const m of ['get', 'put', 'verify', 'getPending']) assert.ok((await db.methods()).includes(m), `methods lack ${m}: ${(await db.methods()).join(', ')}`)
})

test('multisig-registry: a proposed key is pending until another participant verifies it', async (t) => {
  const db = await open(t)
  const { alice, bob } = db.oplogs
  await succeeds(db, 'put', { username: 'erin', publicKey: 'K1' }, 'alice')
  assert.equal(await read(db, 'get', { username: 'erin' }), null, 'a proposal alone changes nothing')
  assert.deepEqual(await pending(db, 'erin'), [{ username: 'erin', publicKey: 'K1', proposer: alice }])

  const v = await succeeds(db, 'verify', { username: 'erin', publicKey: 'K1' }, 'bob')
  assert.deepEqual(v.changes, [
    { type: 'put', key: '/keys/erin', value: { publicKey: 'K1', proposer: alice, verifier: bob } },
    { type: 'del', key: `/pending/erin/${alice}` },
  ])
  assert.equal(await read(db, 'get', { username: 'erin' }), 'K1')
  assert.deepEqual(await read(db, 'getRecord', { username: 'erin' }), { publicKey: 'K1', proposer: alice, verifier: bob })
  assert.deepEqual(await pending(db, 'erin'), [])
})

test('multisig-registry: a participant cannot verify its own proposal', async (t) => {
  const db = await open(t)
  await succeeds(db, 'put', { username: 'erin', publicKey: 'K1' }, 'alice')
  await succeeds(db, 'verify', { username: 'erin', publicKey: 'K1' }, 'bob')
  // alice tries to change erin's key on her own.
  await succeeds(db, 'put', { username: 'erin', publicKey: 'EVIL' }, 'alice')
  await fails(db, 'verify', { username: 'erin', publicKey: 'EVIL' }, 'alice', /verified by a participant other than its proposer/)
  assert.equal(await read(db, 'get', { username: 'erin' }), 'K1')
  assert.equal((await pending(db, 'erin')).length, 1)
  // A second participant's verification is what makes the change.
  await succeeds(db, 'verify', { username: 'erin', publicKey: 'EVIL' }, 'carol')
  assert.equal(await read(db, 'get', { username: 'erin' }), 'EVIL')
})

test('multisig-registry: verifying a key nobody proposed fails and changes nothing', async (t) => {
  const db = await open(t)
  await fails(db, 'verify', { username: 'erin', publicKey: 'K1' }, 'bob', /no pending proposal for erin/)
  await succeeds(db, 'put', { username: 'erin', publicKey: 'K1' }, 'alice')
  await fails(db, 'verify', { username: 'erin', publicKey: 'K2' }, 'bob', /no pending proposal for erin has the key K2/)
  await fails(db, 'verify', { username: 'Erin!', publicKey: 'K1' }, 'bob', /username must be/)
  await fails(db, 'put', { username: 'erin', publicKey: '' }, 'bob', /publicKey must be/)
  await fails(db, 'put', { username: '../x', publicKey: 'K' }, 'bob', /username must be/)
  assert.equal(await read(db, 'get', { username: 'erin' }), null)
  await succeeds(db, 'verify', { username: 'erin', publicKey: 'K1' }, 'bob')
  await fails(db, 'verify', { username: 'erin', publicKey: 'K1' }, 'carol', /no pending proposal for erin/)
  await fails(db, 'put', { username: 'erin', publicKey: 'K1' }, 'carol', /already the active key/)
})

test('multisig-registry: with several proposals open, the verified one wins and closes the rest', async (t) => {
  const db = await open(t)
  const { alice, bob } = db.oplogs
  await succeeds(db, 'put', { username: 'erin', publicKey: 'K1' }, 'alice')
  await succeeds(db, 'put', { username: 'erin', publicKey: 'K2' }, 'bob')
  await succeeds(db, 'put', { username: 'frank', publicKey: 'F1' }, 'bob')
  assert.deepEqual(
    (await pending(db, 'erin')).map((p) => [p.publicKey, p.proposer]).sort(),
    [['K1', alice], ['K2', bob]].sort(),
  )
  // alice proposed K1, so she may verify bob's K2, and that settles erin.
  await succeeds(db, 'verify', { username: 'erin', publicKey: 'K2' }, 'alice')
  assert.equal(await read(db, 'get', { username: 'erin' }), 'K2')
  assert.deepEqual(await read(db, 'getRecord', { username: 'erin' }), { publicKey: 'K2', proposer: bob, verifier: alice })
  assert.deepEqual(await pending(db, 'erin'), [])
  assert.equal((await pending(db, 'frank')).length, 1, "other usernames' proposals stay open")
  // A re-proposal replaces the proposer's own earlier one.
  await succeeds(db, 'put', { username: 'frank', publicKey: 'F2' }, 'bob')
  assert.deepEqual(await pending(db, 'frank'), [{ username: 'frank', publicKey: 'F2', proposer: bob }])
  await fails(db, 'verify', { username: 'frank', publicKey: 'F1' }, 'carol', /has the key F1/)
})

test('multisig-registry: an oplog that is not an input can neither propose nor verify', async (t) => {
  const db = await open(t)
  await succeeds(db, 'put', { username: 'erin', publicKey: 'K1' }, 'alice')
  await db.createOplog('mallory')
  for (const method of ['put', 'verify']) {
    await assert.rejects(db.call(method, { username: 'erin', publicKey: 'K1' }, { as: 'mallory' }), (err: unknown) => {
      assert.ok(err instanceof CallError)
      assert.equal(err.code, 'NOT_A_WRITER')
      return true
    })
  }
  await db.settled()
  assert.equal(await read(db, 'get', { username: 'erin' }), null)
  assert.equal((await pending(db, 'erin')).length, 1)
})
