// The long power-loss run (`npm run test:long`): the executor of test/durable-seals.test.ts loses
// power after every number of lengths or seals seen from 1 to KILL_POINTS (default 120), with three
// writers, so the cut lands between every kind of event: an append and its sync, a sync and the
// peer's upgrade, a receipt and the next block.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeContradictions, runPowerLoss } from '../helpers/power-loss-run.js'

const points = Number(process.env.KILL_POINTS ?? 120)

test(`power lost at ${points} points under load: no length or seal ever seen is contradicted after restart`, { timeout: points * 20_000 }, async () => {
  const failures: string[] = []
  const seenBy = new Map<string, number>()
  for (let killAt = 1; killAt <= points; killAt++) {
    const r = await runPowerLoss({ killAt, writers: 3, blockSize: 1 + (killAt % 5) })
    for (const c of r.claims) seenBy.set(c.by, (seenBy.get(c.by) ?? 0) + 1)
    for (const a of r.lostAcks) failures.push(`kill at ${killAt}: answered but lost: ${a}`)
    for (const f of r.failures) failures.push(`kill at ${killAt}: a reader failed: ${f}`)
    if (r.contradicted.length > 0) failures.push(`kill at ${killAt} (survived ${r.survived}): ${describeContradictions(r)}`)
  }
  // Every way out was exercised, so an empty list of failures means something.
  for (const by of ['peer', 'head', 'proof', 'receipt', 'block']) assert.ok((seenBy.get(by) ?? 0) > 0, `no ${by} claim was seen`)
  assert.deepEqual(failures, [])
})
