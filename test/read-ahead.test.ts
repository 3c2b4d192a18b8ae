// The executor's read-ahead (src/executor/read-ahead.ts): one batch of reads serves the next ops,
// never past the log's length, and an op the log does not hold yet reads as null, as before.

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
  // Count the reads the batch issues (a counter around the real log, nothing faked).
  let reads = 0
  const get = core.get.bind(core)
  ;(core as { get: Hypercore['get'] }).get = ((seq: number, opts?: object) => {
    reads++
    return get(seq, opts)
  }) as Hypercore['get']
  const ahead = new ReadAhead()
  assert.equal(String(await ahead.get(core, 0, 256)), 'op 0')
  assert.equal(reads, 10, 'one batch, no further than the log')
  for (let i = 1; i < 10; i++) assert.equal(String(await ahead.get(core, i, 256 - i)), `op ${i}`)
  assert.equal(reads, 10, 'the rest came from the batch')
  assert.equal(await ahead.get(core, 10, 246), null, 'an op the log does not hold yet')
  await core.append(Buffer.from('op 10'))
  assert.equal(String(await new ReadAhead().get(core, 10, 1)), 'op 10')
  assert.ok(READ_AHEAD >= 1)
})
