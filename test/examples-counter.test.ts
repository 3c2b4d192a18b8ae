// examples/counter.js: increments from several participants, rejected increments, non-writers,
// and the contract stored verbatim in the index log.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { CallError } from '../src/index.js'
import { exampleHarness } from './helpers/example-db.js'

const { examplePath: EXAMPLE, open, send, succeeds, fails, read } = exampleHarness('counter.js')

test('counter: exposes get and increment and starts at zero', async (t) => {
  const db = await open(t)
  for (const m of ['get', 'increment']) assert.ok((await db.methods()).includes(m), `methods lack ${m}: ${(await db.methods()).join(', ')}`)
  assert.equal(await read(db, 'get'), 0)
  assert.equal(db.get('/count'), null)
})

test('counter: every participant can increment, and each ack names its oplog', async (t) => {
  const db = await open(t)
  const a = await succeeds(db, 'increment', {}, 'alice')
  const b = await succeeds(db, 'increment', {}, 'bob')
  const c = await succeeds(db, 'increment', { by: 5 }, 'carol')
  assert.deepEqual([a.origin, b.origin, c.origin], [db.oplogs.alice, db.oplogs.bob, db.oplogs.carol])
  assert.deepEqual(a.op, { op: 'INCREMENT', by: 1 })
  assert.deepEqual(c.changes, [{ type: 'put', key: '/count', value: 7 }])
  assert.ok(a.index < b.index && b.index < c.index, 'entries are appended in order')
  assert.equal(await read(db, 'get'), 7)
  assert.deepEqual(db.get('/count'), { key: '/count', value: 7 })
})

test('counter: increments that are not positive whole numbers fail and change nothing', async (t) => {
  const db = await open(t)
  await succeeds(db, 'increment', { by: 2 }, 'alice')
  for (const by of [0, -1, 1.5, '3', null]) {
    await fails(db, 'increment', { by }, 'bob', /positive whole number/)
  }
  assert.equal(await read(db, 'get'), 2)
})

test('counter: an oplog that is not an input cannot increment', async (t) => {
  const db = await open(t)
  await db.createOplog('mallory')
  await assert.rejects(db.call('increment', {}, { as: 'mallory' }), (err: unknown) => {
    assert.ok(err instanceof CallError)
    assert.equal(err.code, 'NOT_A_WRITER')
    return true
  })
  await db.settled()
  assert.equal(await read(db, 'get'), 0)
})

test('counter: the index log holds the contract verbatim and one entry per op', async (t) => {
  const db = await open(t)
  await succeeds(db, 'increment', {}, 'alice')
  await fails(db, 'increment', { by: 0 }, 'alice', /positive/)
  const history = await db.history({ log: 'index' })
  const contract = history.find((h) => h.log === 'index' && h.path === '.sys/contract/source')
  assert.ok(contract && contract.log === 'index' && contract.entry.type === 'contract')
  assert.equal(contract.entry.code, await readFile(EXAMPLE, 'utf8'))
  const acks = history.filter((h) => h.log === 'index' && h.path.startsWith(`.sys/acks/${db.oplogs.alice}/`))
  assert.deepEqual(
    acks.map((h) => h.log === 'index' && h.entry.type === 'op' && h.entry.ack.success),
    [true, false],
  )
})
