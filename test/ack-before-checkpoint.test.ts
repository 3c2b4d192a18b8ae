// A replica started from a state checkpoint holds no ack for the ops processed before it: asking it
// when such an op was processed is answered with a clear error, not a wait that never ends, and
// the ops after the checkpoint are answered as usual.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Database, DatabaseError } from '../src/index.js'
import { syncDatabase } from '../src/net/state-sync.js'
import { joinDatabase } from '../src/participant/join.js'
import { example, send, tempDir } from './helpers/databases.js'
import { eventually, localDht } from './helpers/network.js'

const dht = localDht()
const net = (announce = false) => ({ bootstrap: dht.bootstrap, timeoutMs: 20_000, announce })

test('a replica started from a checkpoint says an op before it has no ack here, and answers the ops after it', async (t) => {
  const execDir = await tempDir(t)
  await (await Database.create(execDir, { contract: await example('kv-store') })).close()
  const executor = await Database.load(execDir, { network: net(true) })
  const open: Database[] = [executor]
  t.after(async () => {
    for (const db of open.reverse()) await db.close().catch(() => {})
  })
  await send(executor, 'claimAdmin', {})
  const before = await executor.call('put', { key: 'early', value: 1 })
  await before.whenProcessed()
  for (let i = 0; i < 10; i++) await send(executor, 'put', { key: `k${i}`, value: i })
  await executor.writeStateCheckpoint(4)
  const after = await executor.call('put', { key: 'late', value: 2 })
  await after.whenProcessed()

  const dir = await tempDir(t)
  const synced = await syncDatabase(dir, executor.key, { ...net(), from: ['swarm'] })
  assert.equal(synced.start.from, 'checkpoint')
  await joinDatabase(dir, executor.key)
  const replica = await Database.load(dir, { network: net() })
  open.push(replica)
  assert.equal(replica.stateLoad.from, 'store', 'the state starts from the checkpoint')
  await eventually(() => replica.length >= executor.length, 'the replica follows the log')

  const [late] = await replica.whenProcessed(after.ops)
  assert.equal(late.success, true)
  await assert.rejects(replica.whenProcessed(before.ops), (err: Error) => err instanceof DatabaseError && err.code === 'ACK_BEFORE_HISTORY' && /checkpoint/.test(err.message))
})
