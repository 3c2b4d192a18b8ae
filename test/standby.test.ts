// The standby's side of the channel, fed directly (failover/standby.ts): malformed or oversized
// forwards are refused and hold nothing; a forward still queued when the standby is fenced is answered
// "fenced", not held; and a standby waiting for ops no peer serves still closes.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { readHeld } from '../src/failover/held-log.js'
import { Standby } from '../src/failover/standby.js'
import type { ToExecutor, ToStandby } from '../src/failover/standby-channel.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { eventually } from './helpers/network.js'

/** A standby over an empty local log in a directory of its own (none of the oplogs its blocks name are here). */
async function standbyIn(t: import('node:test').TestContext, opts: { maxPendingBytes?: number } = {}) {
  const dir = await tempDir(t)
  const logs = new LogStore(dir)
  await logs.ready()
  const index = await logs.localIndex()
  const standby = await Standby.open(index, null, dir, { takeoverAfterMs: 600_000, ...opts }, { flush: () => logs.flush(), oplog: (k) => logs.byPubkey(k), backfill: Promise.resolve() })
  t.after(() => logs.close())
  const replies: ToExecutor[] = []
  const send = (m: ToStandby) => standby.fromExecutor('peer', m, (a) => replies.push(a))
  return { dir, standby, replies, send }
}

/** Two op entries' bytes from a real database: their acks name an oplog the standby's directory lacks. */
async function opEntries(t: import('node:test').TestContext): Promise<Buffer[]> {
  const db = await Database.create(await tempDir(t), { contract: await example('kv-store') })
  try {
    const a = await send1(db, 'claimAdmin', {}, undefined, true)
    const b = await send1(db, 'put', { key: 'k', value: 1 }, undefined, true)
    const read = (seq: number) => (db as unknown as { readIndex(seq: number): Promise<Uint8Array> }).readIndex(seq)
    return [Buffer.from(await read(a.index!)), Buffer.from(await read(b.index!))]
  } finally {
    await db.close()
  }
}

const until = (replies: ToExecutor[], n: number) =>
  new Promise<void>((resolve) => {
    const check = setInterval(() => replies.length >= n && (clearInterval(check), resolve()), 5)
  })

test('malformed and oversized forwards are refused, and the standby holds nothing of them', async (t) => {
  const { dir, standby, replies, send } = await standbyIn(t, { maxPendingBytes: 16 })
  const bad: unknown[] = [
    { kind: 'forward', start: -1, blocks: ['AA=='] },
    { kind: 'forward', start: 0, blocks: [] },
    { kind: 'forward', start: 0, blocks: [7] },
    { kind: 'forward', start: 1.5, blocks: ['AA=='] },
    { kind: 'forward', start: 0, blocks: ['AA=='], log: 'keys' }, // this database has no keys log
    { kind: 'forward', start: 0, blocks: [Buffer.alloc(64).toString('base64')] }, // over maxPendingBytes
  ]
  for (const m of bad) send(m as ToStandby)
  await until(replies, bad.length)
  assert.deepEqual(replies.map((r) => r.kind), bad.map(() => 'refused'))
  assert.deepEqual(await readHeld(dir), [], 'nothing refused was written')
  await standby.close()
})

test('a forward queued when the standby is fenced is answered fenced, and a standby waiting for ops no peer serves still closes', { timeout: 30_000 }, async (t) => {
  const [first, second] = await opEntries(t)
  const { dir, standby, replies, send } = await standbyIn(t)
  // The first waits for its op, which no peer serves; the second waits behind it in the queue.
  send({ kind: 'forward', start: 0, blocks: [first.toString('base64')] })
  send({ kind: 'forward', start: 1, blocks: [second.toString('base64')] })
  await eventually(async () => (await readHeld(dir)).length === 1, 'the first block is on disk, its op awaited')
  standby.fence()
  await until(replies, 2)
  assert.deepEqual(replies.map((r) => r.kind), ['fenced', 'fenced'])
  await standby.close()
  assert.deepEqual((await readHeld(dir)).map((h) => h.start), [0], 'only the block held before the fence is on disk')
})
