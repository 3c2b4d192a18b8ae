// Blocks kept in memory after a write (log/recent-blocks.ts), so that the executor and a waiting
// caller need not read them back: bounded in count and bytes, forgotten from a truncation on, and
// never kept for an append that failed. Read through them, a database gives the answers it gives
// without them.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { AppendJournal } from '../src/log/append-journal.js'
import { RecentBlocks } from '../src/log/recent-blocks.js'
import { LogStore } from '../src/log/store.js'
import { Database } from '../src/index.js'
import { example, tempDir } from './helpers/databases.js'

const b = (text: string) => Buffer.from(text)

test('recent blocks are kept by position, the oldest dropped past a count or a size, and forgotten from a truncation on', () => {
  const recent = new RecentBlocks(3, 9)
  recent.add(0, [b('a'), b('b')])
  recent.add(2, [b('c'), b('d')])
  assert.equal(recent.get(0), undefined, 'past three blocks the oldest goes')
  assert.deepEqual([1, 2, 3].map((i) => String(recent.get(i))), ['b', 'c', 'd'])
  assert.equal(String(recent.take(2)), 'c')
  assert.equal(recent.take(2), undefined, 'taken once')
  recent.add(4, [b('eeeeeeee')])
  assert.equal(recent.get(1), undefined, 'past nine bytes the oldest goes')
  assert.deepEqual([3, 4].map((i) => String(recent.get(i))), ['d', 'eeeeeeee'])
  // The same position written again (a log rewritten there) holds the new bytes.
  recent.add(3, [b('D')])
  assert.equal(String(recent.get(3)), 'D')
  recent.truncate(4)
  assert.equal(recent.get(4), undefined)
  assert.equal(String(recent.get(3)), 'D')
})

test('an oplog append that fails leaves no block behind for the executor to read', async (t) => {
  const dir = await tempDir(t)
  const logs = new LogStore(path.join(dir, 'cores'))
  await logs.ready()
  t.after(() => logs.close())
  const oplog = await logs.localOplog('main')
  const journal = await AppendJournal.start(dir, () => logs.flush(), { recentAppends: (core) => logs.recentAppends(core) })
  t.after(() => journal.close())
  await journal.append(oplog, [b('op 0')])
  assert.equal(String(logs.recentAppends(oplog).get(0)), 'op 0')
  // The disk refuses the next append (a fault injected where Hypercore would report it).
  const append = oplog.append.bind(oplog)
  ;(oplog as unknown as { append: unknown }).append = () => Promise.reject(new Error('EIO: i/o error, write'))
  await assert.rejects(journal.append(oplog, [b('op 1')]), /EIO/)
  assert.equal(logs.recentAppends(oplog).get(1), undefined)
  ;(oplog as unknown as { append: unknown }).append = append
  await journal.append(oplog, [b('op 1, again')])
  assert.equal(String(logs.recentAppends(oplog).get(1)), 'op 1, again')
  assert.equal(String(await oplog.get(1)), 'op 1, again')
})

test("a caller's ops run and are acknowledged from memory with the outcome a read back gives", async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), executor: { blockSize: 4 } })
  t.after(() => db.close())
  const calls = []
  for (let i = 0; i < 10; i++) calls.push(await db.call('put', { key: `k${i}`, value: { i } }))
  calls.push(await db.call('put', { key: '', value: 1 }))
  const results = await Promise.all(calls.map((c) => c.whenProcessed()))
  // What whenProcessed answered from memory is what the index holds.
  const history = (await db.history()).flatMap((h) => (h.log === 'index' && h.entry.type === 'op' ? [{ seq: h.seq, entry: h.entry }] : []))
  for (const [r] of results) {
    const { entry } = history.find((h) => h.seq === r.index)!
    assert.deepEqual([r.success, r.error, r.ts, r.changes], [entry.ack.success, entry.ack.error, entry.ack.ts, entry.changes])
  }
  assert.deepEqual(results.map(([r]) => r.success), [...Array(10).fill(true), false])
  for (let i = 0; i < 10; i++) assert.deepEqual(db.get(`/values/k${i}`)?.value, { i })
})

test('an op counts as processed only once the committed head holds it, not when the log merely counts its block', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), executor: { blockSize: 1 } })
  t.after(() => db.close())
  const index = (db as unknown as { index: { once(event: 'append', fn: () => void): void } }).index
  const call = await db.call('put', { key: 'a', value: 1 })
  // Hypercore counts the block in the log's length before its append resolves, and so before the
  // executor's committed head holds it: what a caller is told must agree with what it can then read.
  const seen = await new Promise<{ processed: boolean; value: unknown }>((resolve) =>
    index.once('append', () => resolve({ processed: db.isProcessed(call.ops[0]), value: db.get('/values/a')?.value ?? null })),
  )
  assert.equal(seen.processed, seen.value !== null, `processed ${seen.processed}, the committed head reads ${JSON.stringify(seen.value)}`)
  const [result] = await call.whenProcessed()
  assert.equal(result.success, true)
  assert.equal(db.get('/values/a')?.value, 1)
})
