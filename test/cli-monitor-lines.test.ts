// The remote monitor prints each verified length once: a pass that verifies no further entry (an
// oplog grew, the replica caught up) must not repeat the last line.

import assert from 'node:assert/strict'
import path from 'node:path'
import { after, test } from 'node:test'
import { IpcClient } from '../src/cli/ipc/client.js'
import type { CallOutput, InfoOutput } from '../src/net/methods.js'
import { lastVerified, TestNetwork } from './helpers/net-processes.js'
import { callAndWait, initLikeCli } from './helpers/setup2-init.js'
import { localDht } from './helpers/network.js'

const dht = localDht()

test('a remote monitor prints every verified length once', async (t) => {
  const net = await TestNetwork.start(t, dht.flag())
  // The executor's directory is made in this process (a kv-store whose own oplog claimed the admin,
  // as `init` and `call claimAdmin` make it), and the test talks to its server on the server's socket:
  // the processes under test are the executor's `serve` and the remote monitor.
  await initLikeCli(path.resolve('examples/kv-store.js'), net.path('exec'), (db) => callAndWait(db, 'claimAdmin'))
  const exec = await net.serveExecutor('exec')
  const client = await IpcClient.connect(exec.ready.socket)
  assert.ok(client, `a server on ${exec.ready.socket}`)
  t.after(() => client.close())
  const monitor = net.monitor(exec.ready.key, 'watch')
  const length = async () => ((await client.request('info', {})) as InfoOutput).length
  await monitor.waitForLine((l) => l.verified === 0 || (typeof l.verified === 'number' && l.verified > 0), 'the monitor verified the log')
  for (const value of [1, 2, 3]) {
    const put = (await client.request('call', { method: 'put', params: { key: `k${value}`, value: String(value) }, wait: true })) as CallOutput
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
