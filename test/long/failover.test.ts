// Failover under load between real processes (docs/protocol.md §18): two participants write through
// their own servers while the executor, served with a standby, is killed with SIGKILL. The standby
// takes over; every op a call saw acked is in the new executor's log exactly once, in order, where
// its ack said; the old executor, restarted, is fenced before it writes; the log verifies whole.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { eventually, localDht } from '../helpers/network.js'
import { assertOutcomesMatch, assertProcessedOnce, TestNetwork, Writer } from '../helpers/net-processes.js'

const dht = localDht()

test('kill -9 of the executor under two writers: the standby takes over and no acked op is lost, repeated or moved', async (t) => {
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('exec')
  const p1 = await net.participant(exec, 'p1')
  const p2 = await net.participant(exec, 'p2')
  const joined = await net.json<{ key: string }>(['join', exec.key, '--dir', net.path('standby'), '--bootstrap', net.bootstrap])
  assert.equal(joined.key, exec.key)

  // The executor's key pair goes to the standby (written while no server holds the directory).
  assert.equal(await exec.serve.kill('SIGTERM'), 0)
  const keyFile = path.join(net.root, 'executor.key')
  await net.json(['key', keyFile, '--executor', '--dir', exec.dir])
  const standby = net.spawn(['serve', '--dir', net.path('standby'), '--standby', keyFile, '--takeover-after', '2000', '--json'])
  const standing = await standby.waitForLine((l) => l.standby === true, 'the standby stands by')
  const standbyKey = String(standing.swarmKey)
  const primary = await net.serve('exec', ['--bootstrap', net.bootstrap, '--standby-peer', standbyKey])
  assert.equal(primary.ready.executor, true)
  assert.equal((await net.info(exec.dir)).failover.standby, standbyKey, 'info names the standby')
  assert.equal((await net.info(net.path('standby'))).failover.standingBy, true, 'info, through the standby process, says it stands by')

  const w1 = new Writer(net, p1, { workers: 2, wait: true, prefix: 'a', via: 'socket' })
  const w2 = new Writer(net, p2, { workers: 2, wait: true, prefix: 'b', via: 'socket' })
  await w1.reached(30, 'P1 acked 30 ops')
  await w2.reached(30, 'P2 acked 30 ops')

  assert.equal(await primary.serve.kill('SIGKILL'), 'SIGKILL')
  const tookOver = await standby.waitForLine((l) => l.tookOver === true, 'the standby takes over', 30_000)
  const ready = await standby.waitForLine((l) => l.ready === true, 'the standby serves as executor')
  assert.equal(ready.executor, true)
  assert.ok(Number(tookOver.length) > 0)
  assert.equal((await net.info(net.path('standby'))).failover.tookOver, true)
  const handovers = (await net.finish(['history', 'index', '--dir', net.path('standby'), '--start', String(Number(tookOver.length) - 1)])).output()
  assert.match(handovers, new RegExp(`handover: instance ${standbyKey.slice(0, 8)}`), 'history shows the handover seal')

  // The writers go on against the new executor.
  const [n1, n2] = [w1.done.length, w2.done.length]
  await w1.reached(n1 + 20, 'P1 acked 20 more ops after the takeover', 60_000)
  await w2.reached(n2 + 20, 'P2 acked 20 more ops after the takeover', 60_000)

  // The old executor comes back (its manifest still names the standby) and is fenced before it writes.
  await net.restart(primary)
  await eventually(() => /EXECUTOR_FENCED|writes the log now/.test(primary.serve.stderr()), 'the old executor is fenced', 60_000)

  await w1.stop()
  await w2.stop()
  const standbyDir = net.path('standby')
  for (const [p, w] of [[p1, w1], [p2, w2]] as const) {
    const length = await net.oplogLength(p.dir)
    await eventually(async () => ((await net.acks(standbyDir)).seqs.get(p.pubkey)?.length ?? 0) >= length, `${p.name}'s ops are all acked`, 60_000)
    const now = await net.acks(standbyDir)
    assertProcessedOnce(now, p.pubkey, length, p.name)
    assertOutcomesMatch(now, w, p.name)
  }
  await net.verifyLocal(standbyDir)
})
