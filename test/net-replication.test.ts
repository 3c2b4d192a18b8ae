// Replication between real peers: Hyperswarm on a private DHT that the test starts on loopback
// (nothing reaches the public network). An executor, a participant that joins from its own
// directory, and a monitor that verifies from a replica, each with its own Corestore.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Database } from '../src/index.js'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import { openRemoteLogs, type LogWait } from '../src/net/remote-logs.js'
import { Replicator } from '../src/net/replicator.js'
import { LogStore } from '../src/log/store.js'
import { joinDatabase } from '../src/participant/join.js'
import { Monitor } from '../src/verify/monitor.js'
import { example, honestDir, send1, tempDir } from './helpers/databases.js'
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
  assert.deepEqual(await participant.methods(), await executor.methods(), 'the contract came over the network')
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

test('a peer keeps its swarm identity across restarts of one directory, and two directories differ', async (t) => {
  const identity = async (dir: string) => {
    const store = new LogStore(dir)
    await store.ready()
    const replicator = await Replicator.open(store.corestore, { bootstrap: dht.bootstrap })
    try {
      return replicator.publicKey
    } finally {
      await replicator.close()
      await store.close()
    }
  }
  const [a, b] = [await tempDir(t), await tempDir(t)]
  const first = await identity(a)
  assert.match(first, /^[0-9a-f]{64}$/)
  assert.equal(await identity(a), first, 'the same directory, the same key')
  assert.notEqual(await identity(b), first, 'another directory, another key')
})

test('a monitor waits for an oplog no peer serves, says so, and verifies once a peer serves it; with a deadline it stops without a verdict', async (t) => {
  // The replica fetches the index while the executor is up, then the executor goes away before
  // the replica asked for its oplog: the replay needs blocks nobody connected can serve.
  const execDir = await honestDir(t, { contract: await example('kv-store') }, async (db) => {
    await send1(db, 'claimAdmin', {}, undefined, true)
    for (let i = 0; i < 4; i++) await send1(db, 'put', { key: `k${i}`, value: i }, undefined, true)
  })
  const serve = () => Database.load(execDir, { network: { ...net(), announce: true } })
  let executor = await serve()
  const length = executor.length
  const replicaDir = await tempDir(t)
  const first = await openRemoteLogs(replicaDir, executor.key, net())
  assert.equal(first.logs.index.length, length)
  await eventually(() => first.logs.index.contiguousLength === length, 'the replica holds the whole index')
  await first.close()
  await executor.close()

  // With a deadline: an error that names the log, never a breach.
  const bounded = await openRemoteLogs(replicaDir, executor.key, { ...net(), logTimeoutMs: 1500 })
  try {
    const monitor = new Monitor(bounded.logs)
    await monitor.open()
    await assert.rejects(monitor.verifyToHead(), { code: 'LOG_UNAVAILABLE', message: /verification stopped there without a verdict/ })
    await monitor.stop()
  } finally {
    await bounded.close()
  }

  // Without one: it waits, reports the wait, and finishes once the executor serves again.
  const waits: LogWait[] = []
  const patient = await openRemoteLogs(replicaDir, executor.key, { ...net(), logTimeoutMs: Infinity, noticeEveryMs: 500, onWaiting: (w) => waits.push(w) })
  t.after(() => patient.close())
  const monitor = new Monitor(patient.logs)
  await monitor.open()
  const verified = monitor.verifyToHead()
  await eventually(() => waits.length >= 2, 'the monitor reports that it waits')
  assert.equal(waits[0].log, executor.oplogs.main)
  assert.ok(waits[0].has < waits[0].length && waits[1].waitedMs > waits[0].waitedMs)
  executor = await serve()
  t.after(() => executor.close())
  const report = await verified
  await monitor.stop()
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.equal(report.length, length)
})
