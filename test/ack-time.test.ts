// Ack timestamps never go backwards (docs/protocol.md §5.2): an executor that backdates `ts` (to
// flip a contract's deadline check, say) is caught by the monitor as `ts-backwards` and proven to
// the judge with two sealed op entries. The other direction: equal timestamps are honest, and the
// executor itself never writes a smaller ts, even when the host clock steps back or it restarts.

import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import type { OpEntry } from '../src/codec/messages.js'
import { Database } from '../src/index.js'
import { proveEntry, signedSealAt } from '../src/log/sealed-entry.js'
import { signerOf } from '../src/log/seal.js'
import { judge } from '../src/verify/judge.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { expectBreach, expectValid, opAt } from './helpers/breaches.js'
import { glassbox } from './helpers/cli.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'

/** A counter database whose executor reads `clock`; runs `script` and closes it. */
async function clocked(t: TestContext, clock: () => number, script: (db: Database) => Promise<void>, dir?: string): Promise<string> {
  const where = dir ?? (await tempDir(t))
  const db = dir
    ? await Database.load(where, { executor: { now: clock } })
    : await Database.create(where, { contract: await example('counter'), oplogs: ['alice', 'bob'], executor: { now: clock } })
  try {
    await script(db)
    await db.settled()
  } finally {
    await db.close()
  }
  return where
}

const increments = (n: number) => async (db: Database) => {
  for (let i = 0; i < n; i++) await send1(db, 'increment', {}, 'alice', true)
}

async function opEntries(dir: string): Promise<{ seq: number; entry: OpEntry }[]> {
  return withDishonest(dir, async (x) => {
    const out: { seq: number; entry: OpEntry }[] = []
    for (let seq = 0; seq < x.length; seq++) {
      const entry = await x.entry(seq)
      if (entry.type === 'op') out.push({ seq, entry })
    }
    return out
  })
}

test('a backdated ack is a ts-backwards breach, proven by two sealed op entries', async (t) => {
  const dir = await clocked(t, () => 1_000_000, increments(3))
  const at = opAt(2, 2)
  await withDishonest(dir, async (x) => {
    await x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, ts: 999_000 } }))
    await x.reseal(at + 1)
  })
  await expectBreach(dir, 'ts-backwards', { seq: at, expected: '>= 1000000', found: 999000, message: /earlier than/ })
  const report = await verifyDirectory(dir, { fraudProof: true })
  const proof = report.fraudProof?.proof
  assert.ok(proof, report.fraudProof?.reason ?? '')
  assert.equal(proof.class, 'ts-backwards')
  const verdict = await judge(JSON.parse(JSON.stringify(proof)), { key: proof.key })
  assert.equal(verdict.verdict, 'proven', 'reason' in verdict ? verdict.reason : '')
  assert.equal(verdict.verdict === 'proven' && verdict.class, 'ts-backwards')
  // And through `glassbox judge`.
  const file = path.join(await tempDir(t), 'proof.json')
  await writeFile(file, JSON.stringify(proof))
  const run = await glassbox(['judge', file], path.dirname(file))
  assert.equal(run.code, 0, run.stdout)
  assert.match(run.stdout, new RegExp(`^breach proven: ts-backwards at index #${at}`))
})

test('equal or growing timestamps are honest: not flagged, and a ts-backwards proof built from them is not proven', async (t) => {
  const dir = await clocked(t, () => 5_000, increments(3))
  const ops = await opEntries(dir)
  assert.ok(ops.every((o) => o.entry.ack.ts === 5_000), 'every ack carries the same ts')
  await expectValid(dir)
  // A "proof" from two honest entries, in either order: the judge finds nothing.
  const framed = await withDishonest(dir, async (x) => {
    const anchorAt = x.length - 1
    const anchor = await signedSealAt(x.index, anchorAt, signerOf(x.index))
    const entry = (seq: number) => proveEntry(x.index, seq, anchorAt)
    const base = { format: 'glassbox-proof/1', kind: 'fraud', class: 'ts-backwards', key: Buffer.from(x.index.key).toString('hex'), message: 'framed', anchor }
    return [
      { ...base, seq: ops[1].seq, earlier: await entry(ops[0].seq), entry: await entry(ops[1].seq) },
      { ...base, seq: ops[0].seq, earlier: await entry(ops[1].seq), entry: await entry(ops[0].seq) },
    ]
  })
  for (const p of framed) {
    const v = await judge(p)
    assert.equal(v.verdict, 'not-proven', JSON.stringify(v))
  }
})

test('the executor never writes a smaller ts, even when the host clock steps back, nor after a restart', async (t) => {
  let now = 50_000
  // Each reading is a second earlier than the one before.
  const dir = await clocked(t, () => (now -= 1_000), increments(3))
  let ts = (await opEntries(dir)).map((o) => o.entry.ack.ts)
  assert.deepEqual(ts, [49_000, 49_000, 49_000])
  await expectValid(dir)
  // Restarted with a clock far behind the log: the ts resumes from the last one recorded.
  await clocked(t, () => 1_000, increments(1), dir)
  ts = (await opEntries(dir)).map((o) => o.entry.ack.ts)
  assert.deepEqual(ts, [49_000, 49_000, 49_000, 49_000])
  await expectValid(dir)
})
