// The HTTP API over real loopback HTTP against a real database (the kv-store example): reads for
// anyone, writes only with the token, proofs that check offline, and the limits (schema, body
// size, content type, rate, wait deadline) answered as JSON errors with stable codes.

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { checkProof, Database } from '../src/index.js'
import { startHttpApi, type HttpApi } from '../src/net/http/server.js'
import { pageRange } from '../src/net/http/routes/history.js'
import { STATUS_OF } from '../src/net/http/errors.js'

const TOKEN = 'test-token-7f3a'

interface Answer {
  status: number
  headers: Headers
  // Whatever came back: each test asserts the shape it expects.
  body: any
}

async function http(api: HttpApi, route: string, init: { method?: string; json?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers }
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
  let body: string | undefined = init.raw
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(init.json)
  }
  const res = await fetch(api.url + route, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
  const text = await res.text()
  let parsed: unknown = text
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text)
  return { status: res.status, headers: res.headers, body: parsed }
}

function expectError(a: Answer, status: number, code: string): void {
  assert.equal(a.status, status, JSON.stringify(a.body))
  assert.equal(a.body.error.code, code, JSON.stringify(a.body))
  assert.equal(typeof a.body.error.message, 'string')
  assert.ok(!/\n\s+at /.test(a.body.error.message), 'no stack in messages')
}

const state = (key: string) => `/v1/state/${encodeURIComponent(key)}`

/**
 * The executor's clock for acks. While `stall` is set it holds the executor for 30 ms per op: the
 * executor can process an op in under a millisecond, faster than a 1 ms deadline fires.
 */
let stall = false
function clock(): number {
  const start = Date.now()
  while (stall && Date.now() - start < 30);
  return Date.now()
}

describe('HTTP API', () => {
  let dir: string
  let db: Database
  let api: HttpApi
  let readOnlyApi: HttpApi
  let tight: HttpApi
  let limited: HttpApi
  let hurried: HttpApi
  const internal: Error[] = []

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-http-'))
    const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
    db = await Database.create(dir, { contract, executor: { now: clock } })
    const onError = (err: Error) => internal.push(err)
    api = await startHttpApi({ db, port: 0, token: TOKEN, onError })
    readOnlyApi = await startHttpApi({ db, port: 0, token: null, onError })
    tight = await startHttpApi({ db, port: 0, token: TOKEN, bodyLimit: 512, onError })
    limited = await startHttpApi({ db, port: 0, token: TOKEN, rateLimit: { max: 3, windowMs: 60_000 }, onError })
    hurried = await startHttpApi({ db, port: 0, token: TOKEN, waitTimeoutMs: 1, onError })
  })

  after(async () => {
    for (const s of [api, readOnlyApi, tight, limited, hurried]) await s?.close()
    await db?.close()
    await rm(dir, { recursive: true, force: true })
    assert.deepEqual(internal.map((e) => e.message), [], 'no internal errors')
  })

  const oplogLength = async () => (await db.info()).oplogs[0].length

  test('GET /v1/info and /healthz', async () => {
    const info = await http(api, '/v1/info')
    assert.equal(info.status, 200)
    assert.equal(info.body.key, db.key)
    assert.equal(info.body.executor, true)
    assert.ok(info.body.contract.methods.includes('put'))
    assert.equal(info.body.contract.notStatic, null, 'the kv example is static, and the schema keeps the field')
    assert.equal('server' in info.body, false, 'the serving process is not described')
    assert.equal(info.body.sandbox, null, 'not a sandbox')
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.deepEqual((await http(api, '/healthz')).body, { ok: true })
  })

  test('a method that only reads answers without a token', async () => {
    const got = await http(api, '/v1/call/get', { json: { params: { key: 'nothing' } } })
    assert.equal(got.status, 200)
    assert.deepEqual(got.body, { method: 'get', response: null, ops: [] })
    // A call without params may come without a body.
    const listed = await http(api, '/v1/call/list', { method: 'POST' })
    assert.equal(listed.status, 200, JSON.stringify(listed.body))
    assert.deepEqual(listed.body.response, [])
  })

  test('a write without a valid token is refused and publishes nothing', async () => {
    const before = await oplogLength()
    expectError(await http(api, '/v1/call/put', { json: { params: { key: 'x', value: 1 } } }), 401, 'UNAUTHORIZED')
    expectError(await http(api, '/v1/call/put', { json: { params: { key: 'x', value: 1 } }, token: 'wrong' }), 401, 'UNAUTHORIZED')
    expectError(await http(api, '/v1/call/put', { json: { params: { key: 'x', value: 1 } }, headers: { authorization: TOKEN } }), 401, 'UNAUTHORIZED')
    expectError(await http(readOnlyApi, '/v1/call/put', { json: { params: { key: 'x', value: 1 } }, token: TOKEN }), 403, 'WRITES_DISABLED')
    assert.equal(await oplogLength(), before, 'the oplog did not grow')
    expectError(await http(api, state('/values/x')), 404, 'KEY_NOT_FOUND')
  })

  test('a write with the token is processed, and its receipt checks', async () => {
    const before = await oplogLength()
    const put = await http(api, '/v1/call/put', { json: { params: { key: 'a', value: { n: 1 } }, receipt: true }, token: TOKEN })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal(await oplogLength(), before + 1)
    const [op] = put.body.ops
    assert.equal(op.origin, db.oplogs.main)
    assert.equal(op.seq, before)
    assert.deepEqual(op.op, { op: 'PUT', key: 'a', value: { n: 1 } })
    assert.equal(op.outcome.success, true)
    assert.deepEqual(op.outcome.changes, [{ type: 'put', key: '/values/a', value: { n: 1 } }])
    const checked = checkProof(put.body.receipt, { key: db.key })
    assert.equal(checked.valid, true, JSON.stringify(checked))
    assert.ok(checked.valid && checked.kind === 'receipt')
    assert.deepEqual(checked.ops[0].state, [{ key: '/values/a', value: { n: 1 } }])
    // Readers see it.
    assert.deepEqual((await http(api, '/v1/call/get', { json: { params: { key: 'a' } } })).body.response, { n: 1 })
  })

  test('contract rejections and unknown methods', async () => {
    // The API function's own assert: the call fails before anything is published.
    expectError(await http(api, '/v1/call/put', { json: { params: { key: 'novalue' } }, token: TOKEN }), 422, 'CALL_FAILED')
    expectError(await http(api, '/v1/call/nosuch', { json: {} }), 404, 'UNKNOWN_METHOD')
    expectError(await http(api, '/v1/call/nosuch', { json: {}, token: TOKEN }), 404, 'UNKNOWN_METHOD')
    // An op that apply() rejects is processed as a failure: the call itself succeeds.
    const del = await http(api, '/v1/call/delete', { json: { params: { key: 'missing' } }, token: TOKEN })
    assert.equal(del.status, 200)
    assert.equal(del.body.ops[0].outcome.success, false)
    assert.match(del.body.ops[0].outcome.error, /no value at key/)
  })

  test('a call that does not wait, then POST /v1/receipts', async () => {
    const put = await http(api, '/v1/call/put', { json: { params: { key: 'later', value: 2 }, wait: false }, token: TOKEN })
    assert.equal(put.status, 200)
    assert.equal(put.body.ops[0].outcome, null)
    const { origin, seq } = put.body.ops[0]
    const receipt = await http(api, '/v1/receipts', { json: { ops: [{ origin, seq }] } })
    assert.equal(receipt.status, 200, JSON.stringify(receipt.body))
    const checked = checkProof(receipt.body, { key: db.key })
    assert.ok(checked.valid && checked.kind === 'receipt', JSON.stringify(checked))
    assert.equal(checked.ops[0].seq, seq)
    assert.deepEqual(checked.ops[0].state, [{ key: '/values/later', value: 2 }])

    expectError(await http(api, '/v1/receipts', { json: { ops: [{ origin: 'ab'.repeat(32), seq: 0 }] } }), 404, 'UNKNOWN_OPLOG')
    expectError(await http(api, '/v1/receipts', { json: { ops: [{ origin, seq: 10_000 }] } }), 404, 'OP_NOT_FOUND')
    expectError(await http(api, '/v1/receipts', { json: { ops: [] } }), 400, 'VALIDATION')
    expectError(await http(api, '/v1/receipts', { json: { ops: [{ origin: 'xyz', seq: 0 }] } }), 400, 'VALIDATION')
  })

  test('a wait past the deadline answers 504 and names the ops, which stay published', async () => {
    stall = true
    const put = await http(hurried, '/v1/call/put', { json: { params: { key: 'slow', value: 3 } }, token: TOKEN }).finally(() => (stall = false))
    expectError(put, 504, 'TIMEOUT')
    assert.match(put.body.error.message, /remain published/)
    const [ref] = put.body.error.ops
    assert.equal(ref.origin, db.oplogs.main)
    const receipt = await http(api, '/v1/receipts', { json: { ops: [ref] } })
    assert.equal(receipt.status, 200)
    const got = await http(api, state('/values/slow'))
    assert.deepEqual(got.body, { key: '/values/slow', found: true, value: 3 })
  })

  test('GET /v1/state/:key with and without a proof', async () => {
    const plain = await http(api, state('/values/a'))
    assert.deepEqual(plain.body, { key: '/values/a', found: true, value: { n: 1 } })
    const proven = await http(api, state('/values/a') + '?proof=true')
    assert.equal(proven.status, 200)
    const checked = checkProof(proven.body.proof, { key: db.key })
    assert.ok(checked.valid && checked.kind === 'state', JSON.stringify(checked))
    assert.deepEqual(checked.state, { kind: 'key', key: '/values/a', found: true, value: { n: 1 } })

    expectError(await http(api, state('/values/none')), 404, 'KEY_NOT_FOUND')
    const absent = await http(api, state('/values/none') + '?proof=true')
    assert.equal(absent.status, 200)
    assert.equal(absent.body.found, false)
    const none = checkProof(absent.body.proof, { key: db.key })
    assert.ok(none.valid && none.kind === 'state')
    assert.deepEqual(none.state, { kind: 'key', key: '/values/none', found: false, value: null })

    expectError(await http(api, state('/values/a') + '?proof=maybe'), 400, 'VALIDATION')
    expectError(await http(api, state('/values/a') + '?other=1'), 400, 'VALIDATION')
  })

  test('GET /v1/state lists a prefix page by page', async () => {
    for (const key of ['p1', 'p2', 'p3']) {
      assert.equal((await http(api, '/v1/call/put', { json: { params: { key, value: key } }, token: TOKEN })).status, 200)
    }
    const all = await http(api, '/v1/state?prefix=/values')
    const keys = all.body.entries.map((e: { key: string }) => e.key)
    assert.deepEqual(keys, ['/values/a', '/values/later', '/values/p1', '/values/p2', '/values/p3', '/values/slow'])
    assert.equal(all.body.next, null)

    const paged: string[] = []
    let after: string | null = null
    do {
      const page: Answer = await http(api, `/v1/state?prefix=/values&limit=4${after ? `&after=${encodeURIComponent(after)}` : ''}`)
      assert.equal(page.status, 200)
      assert.ok(page.body.entries.length <= 4)
      paged.push(...page.body.entries.map((e: { key: string }) => e.key))
      after = page.body.next
    } while (after !== null)
    assert.deepEqual(paged, keys)

    const reversed = await http(api, '/v1/state?prefix=/values&reverse=true&limit=2')
    assert.deepEqual(reversed.body.entries.map((e: { key: string }) => e.key), ['/values/slow', '/values/p3'])
    // The empty prefix hides `.sys/` keys, and still fills its pages.
    const first = await http(api, '/v1/state?limit=1')
    assert.deepEqual(first.body.entries.map((e: { key: string }) => e.key), ['/values/a'])
    assert.equal(first.body.next, '/values/a')
    expectError(await http(api, '/v1/state?limit=0'), 400, 'VALIDATION')
    expectError(await http(api, '/v1/state?limit=100000'), 400, 'VALIDATION')
  })

  test('GET /v1/history of the index and of an oplog', async () => {
    const index = await http(api, '/v1/history')
    assert.equal(index.status, 200)
    assert.equal(index.body.kind, 'index')
    assert.equal(index.body.items[0].path, '.sys/header')
    const two = await http(api, '/v1/history?start=1&limit=2')
    assert.deepEqual(two.body.items.map((i: { seq: number }) => i.seq), [1, 2])
    const tail = await http(api, '/v1/history?start=-3')
    assert.deepEqual(tail.body.items.map((i: { seq: number }) => i.seq), [db.length - 3, db.length - 2, db.length - 1])
    const capped = await http(api, '/v1/history?start=-5&limit=2')
    assert.deepEqual(capped.body.items.map((i: { seq: number }) => i.seq), [db.length - 5, db.length - 4])
    const ops = await http(api, '/v1/history?log=main&limit=1')
    assert.equal(ops.body.kind, 'oplog')
    assert.equal(ops.body.name, 'main')
    assert.deepEqual(ops.body.items[0].op, { op: 'PUT', key: 'a', value: { n: 1 } })
    expectError(await http(api, '/v1/history?log=nosuch'), 404, 'UNKNOWN_LOG')
    assert.deepEqual(pageRange(-5, -1, 10, 3), { start: 0, end: 2 })
    assert.deepEqual(pageRange(2, -1, 10, 20), { start: 2, end: 12 })
    assert.deepEqual(pageRange(2, undefined, 10, null), { start: 2, end: 12 })
  })

  test('malformed requests: schema, JSON, content type, body size, unknown routes', async () => {
    const bad = await http(api, '/v1/call/put', { json: { params: {}, bogus: true }, token: TOKEN })
    expectError(bad, 400, 'VALIDATION')
    assert.match(bad.body.error.message, /additional properties/)
    expectError(await http(api, '/v1/call/put', { json: { wait: 'soon' }, token: TOKEN }), 400, 'VALIDATION')
    expectError(await http(api, '/v1/call/put', { raw: '{"params":', headers: { 'content-type': 'application/json' }, token: TOKEN }), 400, 'INVALID_JSON')
    expectError(await http(api, '/v1/call/get', { raw: 'key=a', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    const before = await oplogLength()
    expectError(await http(tight, '/v1/call/put', { json: { params: { key: 'big', value: 'x'.repeat(1000) } }, token: TOKEN }), 413, 'BODY_TOO_LARGE')
    assert.equal(await oplogLength(), before)
    expectError(await http(api, '/v2/nothing'), 404, 'NOT_FOUND')
  })

  test('the rate limit answers 429 per client; health and metrics stay open', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await http(limited, '/v1/info')).status, 200)
    const refused = await http(limited, '/v1/info')
    expectError(refused, 429, 'RATE_LIMITED')
    assert.ok(refused.headers.get('retry-after'), 'says when to retry')
    expectError(await http(limited, '/v1/state'), 429, 'RATE_LIMITED')
    expectError(await http(limited, '/v1/nothing'), 429, 'RATE_LIMITED')
    assert.equal((await http(limited, '/healthz')).status, 200)
    assert.equal((await http(limited, '/metrics')).status, 200)
  })

  test('GET /metrics in Prometheus text, with a counter of processed ops', async () => {
    const count = (text: string, line: RegExp) => Number(line.exec(text)?.[1] ?? NaN)
    const OK_OPS = /^glassbox_ops_processed_total\{outcome="success"\} (\d+)$/m
    const first = await http(api, '/metrics')
    assert.equal(first.status, 200)
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain/)
    for (const name of [
      'glassbox_http_requests_total',
      'glassbox_http_request_duration_seconds_bucket',
      'glassbox_index_length',
      'glassbox_state_map_bytes',
      'glassbox_breaches_total',
      'glassbox_ops_processed_total',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.match(first.body, new RegExp(`^${name}`, 'm'), name)
    }
    assert.match(first.body, /^glassbox_http_requests_total\{method="GET",route="\/v1\/state\/:key",status="200"\} \d+$/m, 'labels carry the route pattern')
    assert.doesNotMatch(first.body, /glassbox_verified_length/, 'no monitor, no verified length')
    assert.equal(count(first.body, /^glassbox_index_length (\d+)$/m), db.length)
    assert.equal(count(first.body, /^glassbox_state_map_bytes (\d+)$/m), db.stateMapBytes)
    const opsBefore = count(first.body, OK_OPS)
    assert.ok(opsBefore >= 5, `ops counted so far: ${opsBefore}`)
    await http(api, '/v1/call/put', { json: { params: { key: 'm', value: 1 } }, token: TOKEN })
    const second = await http(api, '/metrics')
    assert.equal(count(second.body, OK_OPS), opsBefore + 1)
  })

  test('GET /openapi.json documents every route', async () => {
    const doc = await http(api, '/openapi.json')
    assert.equal(doc.status, 200)
    assert.match(doc.body.openapi, /^3\.\d+\.\d+$/)
    const paths = Object.keys(doc.body.paths).sort()
    assert.deepEqual(paths, [
      '/add-checkpoint',
      '/checkpoint',
      '/healthz',
      '/metrics',
      '/openapi.json',
      '/v1/attestation',
      '/v1/breaches',
      '/v1/call/{method}',
      '/v1/checkpoint',
      '/v1/claims',
      '/v1/disputes',
      '/v1/disputes/challenges',
      '/v1/disputes/{id}/answer',
      '/v1/disputes/{id}/close',
      '/v1/disputes/{id}/root',
      '/v1/disputes/{id}/settle',
      '/v1/disputes/{id}/step',
      '/v1/events',
      '/v1/execution-proof',
      '/v1/fraud-proofs',
      '/v1/fraud-proofs/{n}',
      '/v1/history',
      '/v1/info',
      '/v1/preview/{method}',
      '/v1/queries',
      '/v1/receipts',
      '/v1/state',
      '/v1/state-checkpoints',
      '/v1/state-checkpoints/{length}',
      '/v1/state-checkpoints/{length}/chunks/{i}',
      '/v1/state/{key}',
      '/v1/verification',
    ])
    const call = doc.body.paths['/v1/call/{method}'].post
    assert.ok(call.requestBody.content['application/json'].schema.properties.params)
    assert.ok(call.responses['401'] && call.responses['200'])
    assert.equal(doc.body.components.securitySchemes.bearer.scheme, 'bearer')

    // docs/http.md describes every route and every error code, with the status the code has.
    const docs = await readFile(path.join(process.cwd(), 'docs', 'http.md'), 'utf8')
    for (const p of paths) {
      for (const method of Object.keys(doc.body.paths[p])) {
        const route = `${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`
        assert.ok(docs.includes(`### \`${route}`) || docs.includes(`and \`${route}`), `docs/http.md has a section for ${route}`)
      }
    }
    const table = Object.fromEntries([...docs.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]))
    assert.deepEqual(table, { ...STATUS_OF }, 'the error table of docs/http.md matches STATUS_OF')
  })

  test('GET /v1/events says the index length on connect and again after a call grows it', async () => {
    const closing = new AbortController()
    const res = await fetch(api.url + '/v1/events', { signal: closing.signal })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let stream = ''
    /** Reads the stream until it holds an `index` event for `length`. */
    const until = async (length: number) => {
      while (!stream.includes(`event: index\ndata: {"length":${length}}\n\n`)) {
        const { value, done } = await reader.read()
        assert.ok(!done, `the stream ended before length ${length}: ${stream}`)
        stream += value
      }
    }
    await until(db.length)
    const call = await http(api, '/v1/call/put', { json: { params: { key: 'evented', value: 1 } }, token: TOKEN })
    assert.equal(call.status, 200)
    await until(call.body.ops[0].outcome.index + 2)
    // No monitor on this server: no verification events.
    assert.ok(!stream.includes('event: verification'))
    closing.abort()
    // A server closing with a stream open ends the stream rather than wait on it.
    const extra = await startHttpApi({ db, port: 0, token: null })
    const open = await fetch(extra.url + '/v1/events')
    const ended = open.text()
    await extra.close()
    assert.match(await ended, /^event: index\n/)
  })

  test('closing a server leaves the database and the other servers running', async () => {
    const extra = await startHttpApi({ db, port: 0, token: null })
    assert.equal((await http(extra, '/healthz')).status, 200)
    await extra.close()
    await extra.close()
    await assert.rejects(fetch(extra.url + '/healthz'))
    assert.equal((await http(api, '/healthz')).status, 200)
    await assert.rejects(startHttpApi({ db, port: 0, token: '' }), /token must not be empty/)
  })
})
