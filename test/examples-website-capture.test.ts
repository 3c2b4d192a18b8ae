// examples/website-capture.js (seed 001 §5.3): captures must respect the interval and agree with
// the executor's clock (pinned here); get() rounds down; process() metadata reaches the ack.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Database } from '../src/index.js'
import { exampleHarness } from './helpers/example-db.js'

const { open, send, succeeds, fails, read } = exampleHarness('website-capture.js')

const T0 = 1_700_000_000_000
const URL_A = 'https://example.com/'
const URL_B = 'https://example.org/prices?q=1'
const MINUTE = 60_000
const WINDOW = 5_000

/** A database whose executor clock reads `clock.now`. */
async function openAt(t: TestContext, clock: { now: number }): Promise<Database> {
  return open(t, { executor: { now: () => clock.now } })
}

interface Capture {
  url: string
  timestamp: number
  responseData: string
  chars: number
  capturedBy: string
  receivedAt: number
}

async function capture(db: Database, url: string, timestamp?: number): Promise<Capture | null> {
  return (await read(db, 'get', timestamp === undefined ? { url } : { url, timestamp })) as unknown as Capture | null
}

test('website-capture: exposes config, get and put', async (t) => {
  const db = await open(t)
  for (const m of ['config', 'get', 'put']) assert.ok((await db.methods()).includes(m), `methods lack ${m}: ${(await db.methods()).join(', ')}`)
})

test('website-capture: puts need a configuration, which is fixed once captures exist', async (t) => {
  const clock = { now: T0 }
  const db = await openAt(t, clock)
  await fails(db, 'put', { url: URL_A, timestamp: T0, responseData: 'x' }, 'alice', /not configured/)
  await fails(db, 'config', { interval: 0, agreementWindow: WINDOW }, 'alice', /interval must be a positive whole number/)
  await fails(db, 'config', { interval: MINUTE, agreementWindow: -1 }, 'alice', /agreementWindow must be a whole number/)
  await succeeds(db, 'config', { interval: MINUTE, agreementWindow: WINDOW }, 'alice')
  assert.deepEqual(await read(db, 'getConfig'), { interval: MINUTE, agreementWindow: WINDOW })
  // Reconfiguring before the first capture is allowed.
  await succeeds(db, 'config', { interval: 2 * MINUTE, agreementWindow: WINDOW }, 'bob')
  await succeeds(db, 'put', { url: URL_A, timestamp: T0, responseData: 'x' }, 'alice')
  await fails(db, 'config', { interval: 1, agreementWindow: 10 * MINUTE }, 'bob', /fixed once captures exist/)
  assert.deepEqual(await read(db, 'getConfig'), { interval: 2 * MINUTE, agreementWindow: WINDOW })
})

test('website-capture: a capture within the agreement window is stored with the executor time and process() metadata', async (t) => {
  const clock = { now: T0 }
  const db = await openAt(t, clock)
  await succeeds(db, 'config', { interval: MINUTE, agreementWindow: WINDOW }, 'alice')
  clock.now = T0 + 1_000
  const body = '<html>hello</html>'
  const r = await succeeds(db, 'put', { url: URL_A, timestamp: T0, responseData: body }, 'bob')
  assert.equal(r.ts, T0 + 1_000, "the ack carries the executor's time")
  assert.deepEqual(r.metadata, { chars: body.length }, 'process() output is recorded in the ack')
  assert.deepEqual(await capture(db, URL_A, T0), {
    url: URL_A,
    timestamp: T0,
    responseData: body,
    chars: body.length,
    capturedBy: db.oplogs.bob,
    receivedAt: T0 + 1_000,
  })
  // Both edges of the window are inside it.
  clock.now = T0 + MINUTE + WINDOW
  await succeeds(db, 'put', { url: URL_A, timestamp: T0 + MINUTE, responseData: 'edge-before' }, 'alice')
  clock.now = T0 + 2 * MINUTE - WINDOW
  await succeeds(db, 'put', { url: URL_A, timestamp: T0 + 2 * MINUTE, responseData: 'edge-after' }, 'alice')
  assert.deepEqual(
    ((await read(db, 'list', { url: URL_A })) as unknown as Capture[]).map((c) => c.timestamp),
    [T0, T0 + MINUTE, T0 + 2 * MINUTE],
  )
})

test('website-capture: captures outside the agreement window fail and change nothing', async (t) => {
  const clock = { now: T0 }
  const db = await openAt(t, clock)
  await succeeds(db, 'config', { interval: MINUTE, agreementWindow: WINDOW }, 'alice')
  const late = await fails(db, 'put', { url: URL_A, timestamp: T0 - WINDOW - 1, responseData: 'stale' }, 'bob', /5001 ms before the executor's time .* outside the agreement window of 5000 ms/)
  assert.equal(late.ts, T0)
  await fails(db, 'put', { url: URL_A, timestamp: T0 + WINDOW + 1, responseData: 'future' }, 'bob', /5001 ms after the executor's time/)
  // The same op content is fine once the executor's clock agrees with it (acks' time only moves forward).
  clock.now = T0 + 2 * WINDOW + 1
  await succeeds(db, 'put', { url: URL_A, timestamp: T0 + WINDOW + 1, responseData: 'fresh' }, 'bob')
  assert.equal((await capture(db, URL_A))?.responseData, 'fresh')
})

test('website-capture: each capture of a URL must follow the previous one by the interval', async (t) => {
  const clock = { now: T0 }
  const db = await openAt(t, clock)
  await succeeds(db, 'config', { interval: MINUTE, agreementWindow: WINDOW }, 'alice')
  await succeeds(db, 'put', { url: URL_A, timestamp: T0, responseData: 'v1' }, 'alice')
  await fails(db, 'put', { url: URL_A, timestamp: T0, responseData: 'again' }, 'bob', /is 0 ms after the previous capture/)
  await fails(db, 'put', { url: URL_A, timestamp: T0 - 1, responseData: 'older' }, 'bob', /is -1 ms after the previous capture/)
  clock.now = T0 + MINUTE - 1
  await fails(db, 'put', { url: URL_A, timestamp: T0 + MINUTE - 1, responseData: 'v2' }, 'bob', /59999 ms after the previous capture .* the interval is 60000 ms/)
  // Another URL has its own schedule.
  await succeeds(db, 'put', { url: URL_B, timestamp: T0 + MINUTE - 1, responseData: 'b1' }, 'bob')
  clock.now = T0 + MINUTE
  await succeeds(db, 'put', { url: URL_A, timestamp: T0 + MINUTE, responseData: 'v2' }, 'bob')
  assert.deepEqual(
    ((await read(db, 'list', { url: URL_A })) as unknown as Capture[]).map((c) => [c.timestamp, c.capturedBy]),
    [[T0, db.oplogs.alice], [T0 + MINUTE, db.oplogs.bob]],
  )
})

test('website-capture: get rounds the timestamp down to the closest capture', async (t) => {
  const clock = { now: T0 }
  const db = await openAt(t, clock)
  await succeeds(db, 'config', { interval: MINUTE, agreementWindow: WINDOW }, 'alice')
  for (let i = 0; i < 3; i++) {
    clock.now = T0 + i * MINUTE
    await succeeds(db, 'put', { url: URL_A, timestamp: clock.now, responseData: `v${i}` }, 'alice')
    // Between two captures of URL_A (acks' time only moves forward).
    if (i === 0) {
      clock.now = T0 + 30_000
      await succeeds(db, 'put', { url: URL_B, timestamp: clock.now, responseData: 'other' }, 'bob')
    }
  }

  const at = async (ts?: number) => (await capture(db, URL_A, ts))?.responseData ?? null
  assert.equal(await at(T0 - 1), null, 'nothing was captured before the first capture')
  assert.equal(await at(T0), 'v0')
  assert.equal(await at(T0 + 30_000), 'v0')
  assert.equal(await at(T0 + MINUTE - 1), 'v0')
  assert.equal(await at(T0 + MINUTE), 'v1')
  assert.equal(await at(T0 + 10 * MINUTE), 'v2')
  assert.equal(await at(), 'v2', 'no timestamp: the latest capture')
  assert.equal((await capture(db, URL_B, T0 + 10 * MINUTE))?.responseData, 'other')
  assert.equal(await capture(db, 'https://example.com/other'), null)
  assert.equal(await capture(db, 'https://example.com'), null, 'URLs that are prefixes of others do not mix')
})

test('website-capture: malformed captures fail and change nothing', async (t) => {
  const clock = { now: T0 }
  const db = await openAt(t, clock)
  await succeeds(db, 'config', { interval: MINUTE, agreementWindow: WINDOW }, 'alice')
  await fails(db, 'put', { url: '', timestamp: T0, responseData: 'x' }, 'bob', /url must be a string/)
  await fails(db, 'put', { url: URL_A, timestamp: T0 + 0.5, responseData: 'x' }, 'bob', /timestamp must be ms since the epoch/)
  await fails(db, 'put', { url: URL_A, timestamp: String(T0), responseData: 'x' }, 'bob', /timestamp must be/)
  const r = await fails(db, 'put', { url: URL_A, timestamp: T0, responseData: { html: 'x' } }, 'bob', /responseData must be a string/)
  assert.equal(r.metadata, null, 'process() returns no metadata for an op it cannot measure')
  await fails(db, 'put', { url: URL_A, timestamp: T0, responseData: 'x'.repeat(32 * 1024 + 1) }, 'bob', /responseData must be a string of at most 32768/)
  assert.equal(await capture(db, URL_A), null)
})
