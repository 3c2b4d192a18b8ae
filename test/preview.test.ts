// Dry runs (issue 11: a speculative branch that is pruned at once): a call's ops executed on the
// sealed head and taken back. Nothing is published or kept, the answer is what the real call then
// does, and a busy executor never sees the branch.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { glassbox } from './helpers/cli.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'

test('a preview shows what the ops would do, publishes nothing, and is what the real call then does', async (t) => {
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'increment', {}, 'alice', true)
  const lengthBefore = db.length
  const rootBefore = (await db.info()).stateRoot
  const preview = await db.preview('increment', { by: 5 })
  assert.equal(preview.head.stateRoot, rootBefore)
  assert.equal(preview.ops.length, 1)
  assert.equal(preview.ops[0].success, true)
  assert.deepEqual(preview.ops[0].changes, [{ type: 'put', key: '/count', value: 6 }])
  assert.notEqual(preview.stateRoot, rootBefore)
  // Nothing was published or kept.
  assert.equal(db.length, lengthBefore)
  assert.equal(db.get('/count')?.value, 1)
  assert.equal((await db.info()).stateRoot, rootBefore)
  assert.equal((await db.info()).oplogs.find((o) => o.name === 'alice')?.length, 1)
  // The real call lands where the preview said.
  const done = await send1(db, 'increment', { by: 5 }, 'alice', true)
  assert.deepEqual(done.changes, preview.ops[0].changes)
  assert.equal((await db.info()).stateRoot, preview.stateRoot)

  // An op the contract refuses: the preview says why, and the root stays the head's.
  const refused = await db.preview('increment', { by: -1 })
  assert.equal(refused.ops[0].success, false)
  assert.match(refused.ops[0].error ?? '', /positive whole number/)
  assert.equal(refused.stateRoot, (await db.info()).stateRoot)
  // A method that emits nothing answers like a read.
  const read = await db.preview('get', {})
  assert.deepEqual(read.ops, [])
  assert.equal(read.response, 6)
  // Bad input: an unknown method, an oplog that is not here, params the method throws on.
  const root = (await db.info()).stateRoot
  await assert.rejects(db.preview('noSuchMethod', {}), (err: Error & { code?: string }) => err.code === 'METHOD_NOT_FOUND')
  await assert.rejects(db.preview('increment', {}, { as: 'bob' }), (err: Error & { code?: string }) => err.code === 'UNKNOWN_OPLOG')
  assert.equal((await db.info()).stateRoot, root, 'a preview that failed left nothing behind')
  assert.equal(db.get('/count')?.value, 6)
})

test('previews interleaved with a busy executor leave its log valid and its state exact', async (t) => {
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  const dir = db.dir
  const calls: Promise<unknown>[] = []
  const previews: Promise<unknown>[] = []
  for (let i = 0; i < 30; i++) {
    calls.push(db.call('increment', { by: 1 }).then((c) => c.whenProcessed()))
    previews.push(db.preview('increment', { by: 1000 }))
  }
  await Promise.all([...calls, ...previews])
  assert.equal(db.get('/count')?.value, 30)
  await db.close()
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.equal(report.ops, 30)
})

test('glassbox call --dry-run says what would happen, exits 1 for a refused op, and publishes nothing', async (t) => {
  const cwd = await tempDir(t)
  const dir = path.join(cwd, 'db')
  assert.equal((await glassbox(['init', path.resolve('examples/counter.js'), '--dir', dir], cwd)).code, 0)
  const ok = await glassbox(['call', 'increment', '--by:json', '3', '--dry-run', '--dir', dir], cwd)
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /nothing was published[\s\S]*would succeed[\s\S]*put \/count = 3/)
  const bad = await glassbox(['call', 'increment', '--by:json', '0', '--dry-run', '--dir', dir, '--json'], cwd)
  assert.equal(bad.code, 1)
  assert.equal(JSON.parse(bad.stdout).ops[0].success, false)
  const usage = await glassbox(['call', 'increment', '--dry-run', '--receipt', 'r.json', '--dir', dir], cwd)
  assert.equal(usage.code, 2)
  const count = await glassbox(['get', '/count', '--dir', dir], cwd)
  assert.equal(count.code, 1, 'no value: the dry runs published nothing')
})

test('POST /v1/preview/:method dry-runs without a token and publishes nothing', async (t) => {
  const { startHttpApi } = await import('../src/net/http/server.js')
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db.close())
  const api = await startHttpApi({ db, port: 0, token: 'a-token-of-sixteen-chars' })
  t.after(() => api.close())
  const res = await fetch(`${api.url}/v1/preview/increment`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ params: { by: 4 } }) })
  assert.equal(res.status, 200)
  const body = (await res.json()) as { ops: { success: boolean; changes: unknown[] }[]; head: { length: number } }
  assert.deepEqual(body.ops[0].changes, [{ type: 'put', key: '/count', value: 4 }])
  assert.equal(body.head.length, db.length - 1)
  assert.equal(db.get('/count'), null)
})
