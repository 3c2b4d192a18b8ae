// A value in the state cannot be changed in place by whoever is handed it (docs/architecture.md,
// "Where the state lives"): not through `get` or `list`, not through a block event's changes. Were it
// changeable, an application editing an object it read would change the executor's state in memory
// but not its root, the next op would read the edited value, and monitors would find the executor
// in breach of its own log.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Database, type BlockEvent } from '../src/index.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { example, send1, tempDir } from './helpers/databases.js'

test('values read from the state, or from a block event, cannot be changed in place; the log stays valid', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  const blocks: BlockEvent[] = []
  db.on('block', (b: BlockEvent) => blocks.push(b))
  await send1(db, 'put', { key: 'x', value: { a: 1, list: [{ deep: [1, 2] }] } })

  const read = db.get('/values/x')!.value as { a: number; list: { deep: number[] }[] }
  assert.throws(() => (read.a = 666), TypeError)
  assert.throws(() => read.list[0].deep.push(3), TypeError)
  assert.throws(() => ((db.list('/values/')[0].value as { a: number }).a = 667), TypeError)
  const change = blocks.flatMap((b) => b.entries).flatMap((e) => e.changes).find((c) => c.key === '/values/x')
  assert.ok(change && change.type === 'put')
  assert.throws(() => ((change.value as { a: number }).a = 668), TypeError)
  assert.deepEqual(db.get('/values/x')!.value, { a: 1, list: [{ deep: [1, 2] }] })

  // What a caller gets back from whenProcessed is its own copy.
  const [result] = await (await db.call('put', { key: 'y', value: { b: 1 } })).whenProcessed()
  ;(result.changes[0] as unknown as { value: { b: number } }).value.b = 2
  assert.deepEqual(db.get('/values/y')!.value, { b: 1 })

  // The next op reads the committed value, and the log is what a replay gives.
  await send1(db, 'put', { key: 'z', value: 3 })
  await db.close()
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true, JSON.stringify(report.breach))
})
