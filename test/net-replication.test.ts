// Replication between real peers: Hyperswarm on a private DHT that the test starts on loopback
// (nothing reaches the public network). An executor, a participant that joins from its own
// directory, and a monitor that verifies from a replica, each with its own Corestore.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Database } from '../src/index.js'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import { openRemoteLogs } from '../src/net/remote-logs.js'
import { joinDatabase } from '../src/participant/join.js'
import { Monitor } from '../src/verify/monitor.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { eventually } from './helpers/network.js'

let dht: BootstrapNodes
before(async () => {
  dht = await startBootstrapNodes()
})
after(async () => {
  await dht.close()
})

const net = () => ({ bootstrap: dht.bootstrap, timeoutMs: 20_000 })

test('a participant joins from another directory, is added by the admin, and its ops are processed once', async (t) => {
  const execDir = await tempDir(t)
  const created = await Database.create(execDir, { contract: await example('kv-store') })
  await created.close()
  const executor = await Database.load(execDir, { network: { ...net(), announce: true } })
  t.after(() => executor.close())
  await send1(executor, 'claimAdmin', {}, undefined, true)

  const partDir = await tempDir(t)
  const joined = await joinDatabase(partDir, executor.key)
  assert.equal(joined.key, executor.key)
  const participant = await Database.load(partDir, { network: net() })
  t.after(() => participant.close())
  assert.deepEqual(participant.methods, executor.methods, 'the contract came over the network')
  assert.equal(await participant.call('getAdmin').then((r) => r.response), executor.oplogs.main)

  // Not an input yet: the call is refused before anything is published.
  await assert.rejects(participant.call('put', { key: 'a', value: 1 }), { code: 'NOT_A_WRITER' })
  await send1(executor, 'addParticipant', { pubkey: joined.oplog.pubkey }, undefined, true)
  await eventually(async () => (await participant.info()).inputs.includes(joined.oplog.pubkey), 'the participant sees itself added')

  const results = []
  for (let i = 0; i < 5; i++) {
    const call = await participant.call('put', { key: `k${i}`, value: i })
    results.push(...(await call.whenProcessed()))
  }
  assert.ok(results.every((r) => r.success))
  assert.deepEqual(results.map((r) => r.seq), [0, 1, 2, 3, 4])
  await executor.settled()
  assert.deepEqual(executor.get('/values/k4'), { key: '/values/k4', value: 4 })
  // Each op acknowledged exactly once, at the index position the participant was told.
  const history = await executor.history({ log: 'index' })
  const acks = history.filter((h) => JSON.stringify(h).includes(joined.oplog.pubkey) && JSON.stringify(h).includes('"seq"'))
  assert.ok(acks.length >= 5)

  // A receipt made by the participant from its replica checks against the executor's key.
  const receipt = await participant.receipt(results)
  const { checkProof } = await import('../src/participant/check-proof.js')
  assert.equal(checkProof(receipt, { key: executor.key }).valid, true)

  // A monitor elsewhere replicates everything and finds it valid.
  const monDir = await tempDir(t)
  const remote = await openRemoteLogs(monDir, executor.key, net())
  t.after(() => remote.close())
  const monitor = new Monitor(remote.logs)
  await monitor.open()
  const report = await monitor.verifyToHead()
  await monitor.stop()
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.equal(report.length, executor.length)
})
