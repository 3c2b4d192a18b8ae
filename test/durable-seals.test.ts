// Seals reach the disk before anyone can see them (docs/protocol.md §5.2): an executor that loses
// power at any instant, then restarts from what its disk made durable, never contradicts a length or
// seal it handed out before (to a replicating peer, a client reading its head, a state proof, a
// receipt, a `block` listener). The long version, with many more kill points, is test/long/.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeContradictions, runPowerLoss } from './helpers/power-loss-run.js'

for (const killAt of [3, 12, 30]) {
  test(`power lost once ${killAt} lengths or seals were seen: the restarted executor agrees with every one`, { timeout: 60_000 }, async () => {
    const r = await runPowerLoss({ killAt })
    if (process.env.POWER_LOSS_DEBUG) console.log(killAt, r.survived, r.restarted, r.claims.map((c) => `${c.by}:${c.length}`).join(' '))
    assert.equal(r.claims.length, killAt)
    assert.ok(r.restarted >= Math.max(...r.claims.map((c) => c.length)))
    assert.deepEqual(r.failures, [])
    assert.deepEqual(r.lostAcks, [])
    assert.deepEqual(r.contradicted, [], `survived ${r.survived}: ${describeContradictions(r)}`)
  })
}
