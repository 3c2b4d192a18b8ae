// A deferred ContractVM loads its source when ready() is first awaited, so a database opened only
// to read never compiles its contract. Until then it refuses to run; once loaded it runs exactly
// as a VM made by create(); a source that does not load fails ready() with the create() error.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ContractError } from '../src/errors.js'
import { Database } from '../src/index.js'
import { ContractVM, MemoryState } from '../src/vm/index.js'
import { example, send1, tempDir } from './helpers/databases.js'

const SOURCE = `
export function get() { return 'got' }
export const apply = { SET(tx, op) { tx.put('/v', op.value) } }
`
const ACK = { origin: 'a'.repeat(64), seq: 0, ts: 0, metadata: null }

test('a deferred VM refuses to run until ready(), then runs as a created one', async () => {
  const deferred = ContractVM.deferred(SOURCE)
  assert.equal(deferred.isReady, false)
  assert.throws(() => deferred.methods, /not loaded yet: await ready\(\) first/)
  assert.throws(() => deferred.apply({ op: 'SET', value: 1 }, ACK, new MemoryState()), /not loaded yet/)
  await Promise.all([deferred.ready(), deferred.ready()])
  assert.equal(deferred.isReady, true)

  const created = await ContractVM.create(SOURCE)
  assert.deepEqual(deferred.methods, created.methods)
  const op = { op: 'SET', value: { n: 1 } }
  assert.deepEqual(deferred.apply(op, ACK, new MemoryState()), created.apply(op, ACK, new MemoryState()))
  deferred.dispose()
  created.dispose()
})

test('a deferred VM whose source does not load fails ready() with the error create() gives', async () => {
  const bad = 'export function apply( {'
  const fromCreate = await ContractVM.create(bad).then(() => null, (err: unknown) => err)
  assert.ok(fromCreate instanceof ContractError)
  const deferred = ContractVM.deferred(bad)
  await assert.rejects(deferred.ready(), (err: unknown) => err instanceof ContractError && err.code === 'CONTRACT_INVALID' && err.message === fromCreate.message)
  await assert.rejects(deferred.ready(), /does not compile/, 'and again on the next attempt')
  deferred.dispose()
})

test('a deferred VM disposed while it loads ends disposed', async () => {
  const vm = ContractVM.deferred(SOURCE)
  const loading = vm.ready()
  vm.dispose()
  await loading
  assert.throws(() => vm.apply({ op: 'SET', value: 1 }, ACK, new MemoryState()), /disposed/)
})

test('a database opened with pending ops loads its contract when the executor first runs one', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('counter') })
  await db.close()
  const reader = await Database.load(dir, { execute: false })
  const { ops } = await reader.call('increment', {})
  assert.deepEqual(await reader.methods(), ['get', 'increment'])
  await reader.close()
  const executor = await Database.load(dir)
  try {
    const [result] = await executor.whenProcessed(ops)
    assert.equal(result.success, true)
    assert.equal((await send1(executor, 'increment', {})).success, true)
  } finally {
    await executor.close()
  }
})
