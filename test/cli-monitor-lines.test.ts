// The remote monitor prints each verified length once: a pass that verifies no further entry (an
// oplog grew, the replica caught up) must not repeat the last line.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import { lastVerified, TestNetwork } from './helpers/net-processes.js'

let dht: BootstrapNodes
before(async () => {
  dht = await startBootstrapNodes()
})
after(async () => {
  await dht.close()
})

test('a remote monitor prints every verified length once', async (t) => {
  const net = await TestNetwork.start(t, dht.bootstrap.map((n) => `${n.host}:${n.port}`).join(','))
  const exec = await net.executor('exec')
  const monitor = net.monitor(exec.key, 'watch')
  const length = async () => (await net.info(exec.dir)).length
  await monitor.waitForLine((l) => l.verified === 0 || (typeof l.verified === 'number' && l.verified > 0), 'the monitor verified the log')
  for (const value of [1, 2, 3]) {
    const put = await net.json<{ ops: unknown[] }>(['call', 'put', '--key', `k${value}`, '--value', String(value), '--dir', exec.dir])
    assert.equal(put.ops.length, 1)
    const target = await length()
    await monitor.waitForLine((l) => l.verified === target, `the monitor verified ${target} entries`)
  }
  assert.equal(await monitor.kill('SIGINT'), 0, monitor.describe())
  const verified = monitor.lines.filter((l) => 'verified' in l).map((l) => l.verified as number)
  assert.ok(verified.length > 0)
  assert.equal(lastVerified(monitor), await length())
  for (let i = 1; i < verified.length; i++) assert.ok(verified[i] > verified[i - 1], `verified lines strictly grow: ${verified.join(', ')}`)
})
