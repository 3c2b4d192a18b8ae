// The executor's read-ahead (src/executor/read-ahead.ts): one batch of reads serves the next ops,
// never past the ops the log holds, and an op the log does not hold yet reads as null, as before.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type Hypercore from 'hypercore'
import { ReadAhead, READ_AHEAD } from '../src/executor/read-ahead.js'
import { LogStore } from '../src/log/store.js'
import { tempDir } from './helpers/databases.js'

test('one batch serves the next ops, within the log, and a missing op is null', async (t) => {
  const store = new LogStore(await tempDir(t))
  await store.ready()
  t.after(() => store.close())
  const core = await store.localOplog('main')
  await core.append(Array.from({ length: 10 }, (_, i) => Buffer.from(`op ${i}`)))
  const reads = countReads(core)
  const ahead = new ReadAhead()
  assert.equal(String(await ahead.get(core, 0, 256)), 'op 0')
  assert.equal(reads.count, 10, 'one batch, no further than the log')
  for (let i = 1; i < 10; i++) assert.equal(String(await ahead.get(core, i, 256 - i)), `op ${i}`)
  assert.equal(reads.count, 10, 'the rest came from the batch')
  assert.equal(await ahead.get(core, 10, 246), null, 'an op the log does not hold yet')
  await core.append(Buffer.from('op 10'))
  assert.equal(String(await new ReadAhead().get(core, 10, 1)), 'op 10')
  assert.ok(READ_AHEAD >= 1)
})

test('a replica that knows a longer log than it holds reads ahead only what it holds', async (t) => {
  const writer = new LogStore(await tempDir(t))
  const replica = new LogStore(await tempDir(t))
  await writer.ready()
  await replica.ready()
  t.after(() => Promise.all([replica.close(), writer.close()]))
  const log = await writer.localOplog('main')
  await log.append(Array.from({ length: 20 }, (_, i) => Buffer.from(`op ${i}`)))
  const s1 = writer.corestore.replicate(true) as NodeJS.ReadWriteStream
  const s2 = replica.corestore.replicate(false) as NodeJS.ReadWriteStream
  s1.pipe(s2).pipe(s1)
  const copy = await replica.byPubkey(log.key.toString('hex'))
  await copy.update({ wait: true })
  await copy.download({ start: 0, end: 5 }).done()
  assert.equal(copy.length, 20)
  assert.equal(copy.contiguousLength, 5)
  const reads = countReads(copy)
  // What an executor's blocks do while a participant's ops are still arriving: each block reads
  // from the first op it lacks. Before, every block read all 15 ops the replica did not hold.
  const ahead = new ReadAhead()
  for (let i = 0; i < 5; i++) assert.equal(String(await ahead.get(copy, i, 64)), `op ${i}`)
  assert.equal(reads.count, 5, 'the ops held, in one batch')
  for (let block = 0; block < 3; block++) assert.equal(await new ReadAhead().get(copy, 5, 64), null)
  assert.equal(reads.count, 5 + 3, 'one read per block for an op not held yet')
  await copy.download({ start: 5, end: 20 }).done()
  assert.equal(String(await new ReadAhead().get(copy, 5, 64)), 'op 5')
  assert.equal(reads.count, 8 + 15, 'once held, the rest in one batch')
})

/** Counts the reads issued on a log (a counter around the real log, nothing faked). */
function countReads(core: Hypercore): { count: number } {
  const reads = { count: 0 }
  const get = core.get.bind(core)
  ;(core as { get: Hypercore['get'] }).get = ((seq: number, opts?: object) => {
    reads.count++
    return get(seq, opts)
  }) as Hypercore['get']
  return reads
}
