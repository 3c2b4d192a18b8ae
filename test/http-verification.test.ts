// The monitor's findings over HTTP: an honest database shows as valid and keeps being followed; a
// log a dishonest executor re-signed shows its breach notice, and the fraud proof served is one the
// judge proves with nothing but the file.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { startHttpApi, type HttpApi } from '../src/net/http/server.js'
import type { Monitor } from '../src/verify/monitor.js'
import { judge } from '../src/verify/judge.js'
import { counter, opAt } from './helpers/breaches.js'
import { example, honestDir, send1 } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'

const TOKEN = 'verification-token'

// Whatever came back: each test asserts the shape it expects.
async function get(api: HttpApi, route: string): Promise<{ status: number; body: any }> {
  const res = await fetch(api.url + route)
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() }
}

/** Polls `route` until `accept` holds (the monitor runs beside the requests). */
async function until(api: HttpApi, route: string, accept: (body: any) => boolean, ms = 10_000): Promise<any> {
  const deadline = Date.now() + ms
  for (;;) {
    const { body } = await get(api, route)
    if (accept(body)) return body
    if (Date.now() > deadline) throw new Error(`${route} never matched; last: ${JSON.stringify(body)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('without a monitor the verification routes answer 503 NO_MONITOR', async (t) => {
  const dir = await honestDir(t, { contract: await example('counter') })
  const db = await Database.load(dir, { execute: false })
  const api = await startHttpApi({ db, port: 0, token: null })
  t.after(async () => {
    await api.close()
    await db.close()
  })
  for (const route of ['/v1/verification', '/v1/breaches', '/v1/fraud-proofs', '/v1/fraud-proofs/0']) {
    const r = await get(api, route)
    assert.equal(r.status, 503, route)
    assert.equal(r.body.error.code, 'NO_MONITOR')
  }
  // Without an executor a call that must wait cannot: the op is published and named.
  const writer = await startHttpApi({ db, port: 0, token: TOKEN })
  t.after(() => writer.close())
  const res = await fetch(writer.url + '/v1/call/increment', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
  const body = (await res.json()) as { error: { code: string; ops: { seq: number }[] } }
  assert.equal(res.status, 503)
  assert.equal(body.error.code, 'NO_EXECUTOR')
  assert.equal(body.error.ops[0].seq, 0)
})

test('an honest database: valid, followed as it grows, no breaches', async (t) => {
  const dir = await honestDir(t, { contract: await example('counter') }, async (db) => {
    await send1(db, 'increment', {}, undefined, true)
  })
  const db = await Database.load(dir)
  const monitor: Monitor = await db.monitor({ fraudProof: true })
  const errors: Error[] = []
  const api = await startHttpApi({ db, monitor, port: 0, token: TOKEN, onError: (e) => errors.push(e) })
  t.after(async () => {
    await api.close()
    await db.close()
  })
  const first = await until(api, '/v1/verification', (s) => s.verifiedLength === s.indexLength)
  assert.equal(first.valid, true)
  assert.equal(first.following, true)
  assert.equal(first.breach, null)
  assert.equal(first.indexLength, db.length)
  assert.ok(Date.parse(first.updatedAt) > 0)

  const call = await fetch(api.url + '/v1/call/increment', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"params":{"by":2}}' })
  assert.equal(call.status, 200)
  const later = await until(api, '/v1/verification', (s) => s.verifiedLength === db.length && s.verifiedLength > first.verifiedLength)
  assert.equal(later.valid, true)

  assert.deepEqual((await get(api, '/v1/breaches')).body, { breaches: [] })
  assert.deepEqual((await get(api, '/v1/fraud-proofs')).body, { fraudProofs: [] })
  const none = await get(api, '/v1/fraud-proofs/0')
  assert.equal(none.status, 404)
  assert.equal(none.body.error.code, 'FRAUD_PROOF_NOT_FOUND')
  const metrics = (await get(api, '/metrics')).body as string
  assert.match(metrics, new RegExp(`^glassbox_verified_length ${db.length}$`, 'm'))
  assert.match(metrics, /^glassbox_breaches_total 0$/m)
  assert.deepEqual(errors, [])
})

test('a dishonest log: the breach notice and a fraud proof the judge proves', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', { by: 2 }, 'alice', true)
  })
  const at = opAt(2, 1)
  // The executor re-signs its log with an op entry whose changes are not what the op gives.
  await withDishonest(dir, async (x) => {
    await x.tamperOp(at, (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
    await x.reseal(at + 1)
  })
  // A database whose log contradicts its state does not execute; it is opened to be watched.
  const db = await Database.load(dir, { execute: false })
  const monitor = await db.monitor({ fraudProof: true })
  const api = await startHttpApi({ db, monitor, port: 0, token: null })
  t.after(async () => {
    await api.close()
    await db.close()
  })

  const { breaches } = await until(api, '/v1/breaches', (b) => b.breaches?.length === 1)
  const [notice] = breaches
  assert.equal(notice.class, 'changes-mismatch')
  assert.equal(notice.seq, at)
  assert.equal(notice.evidence.index, db.key)

  const status = (await get(api, '/v1/verification')).body
  assert.equal(status.valid, false)
  assert.equal(status.following, false)
  assert.equal(status.verifiedLength, at, 'verification stops at the offending entry')
  assert.deepEqual(status.breach, notice)

  const { fraudProofs } = (await get(api, '/v1/fraud-proofs')).body
  assert.equal(fraudProofs.length, 1)
  assert.equal(fraudProofs[0].class, 'changes-mismatch')
  assert.equal(fraudProofs[0].reason, null)
  const one = await get(api, '/v1/fraud-proofs/0')
  assert.equal(one.status, 200)
  assert.deepEqual(one.body, fraudProofs[0].proof)
  const verdict = await judge(one.body, { key: db.key })
  assert.equal(verdict.verdict, 'proven', JSON.stringify(verdict))
  assert.ok(verdict.verdict === 'proven' && verdict.class === 'changes-mismatch' && verdict.seq === at)

  assert.equal((await get(api, '/v1/fraud-proofs/1')).body.error.code, 'FRAUD_PROOF_NOT_FOUND')
  assert.match((await get(api, '/metrics')).body, /^glassbox_breaches_total 1$/m)
})
