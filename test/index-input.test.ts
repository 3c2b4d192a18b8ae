// The index log is never an input (docs/protocol.md §5.2): a contract that declares the database's
// own index log as an oplog would make the executor read its own appends as ops, without end. The
// executor refuses it with a failed op, replay and the judge apply the same rule, and an executor
// that records such an input anyway is caught and proven.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { Database } from '../src/index.js'
import type { OpEntry } from '../src/codec/messages.js'
import { judge } from '../src/verify/judge.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { expectValid } from './helpers/breaches.js'
import { example, honestDir, send1, withoutExecutor } from './helpers/databases.js'
import { DishonestExecutor, withDishonest } from './helpers/dishonest-executor.js'
import { signerOf } from '../src/log/seal.js'

/** A kv-store database where alice is admin and then asks to add the index log as a participant. */
async function addIndexAsInput(t: TestContext, check: (db: Database, r: Awaited<ReturnType<typeof send1>>) => void = (_db, r) => assert.equal(r.success, false)): Promise<string> {
  return honestDir(t, { contract: await example('kv-store'), oplogs: ['alice'] }, async (db) => {
    await send1(db, 'claimAdmin', {}, 'alice', true)
    const r = await send1(db, 'addParticipant', { pubkey: db.key }, 'alice')
    // Checked before waiting for the executor to settle: one that took the index as an input never does.
    check(db, r)
    await db.settled()
  })
}

test('addOplog refuses the database key: a failed op with a clear error, and the log does not grow', async (t) => {
  let lengthAfter = 0
  const dir = await addIndexAsInput(t, (db, r) => {
    assert.equal(r.success, false, 'the op fails')
    assert.match(r.error ?? '', /is this database's own index log, not a participant oplog/)
    assert.match(r.error ?? '', new RegExp(db.key))
    assert.equal(db.get(`.sys/inputs/${db.key}`), null)
  })
  lengthAfter = await withoutExecutor(dir, async (db) => db.length)
  // Header, contract, input, genesis, seal; then two ops of one block each.
  assert.equal(lengthAfter, 5 + 4)
  await expectValid(dir)
})

test("addOplog refuses the index log's signing key too", async (t) => {
  await honestDir(t, { contract: await example('kv-store'), oplogs: ['alice'] }, async (db) => {
    const x = await DishonestExecutor.attach(db)
    const signer = toKey(signerOf(x.index))
    await send1(db, 'claimAdmin', {}, 'alice', true)
    const r = await send1(db, 'addParticipant', { pubkey: signer }, 'alice')
    assert.equal(r.success, false)
    assert.match(r.error ?? '', /is the key that signs this database's index log, not a participant oplog/)
  })
})

test('an entry that adds the index log as an input is a breach, and its fraud proof is proven', async (t) => {
  const dir = await addIndexAsInput(t)
  await withDishonest(dir, async (x) => {
    const last = await x.lastOp()
    const key = x.pubkey(toKey(x.index.key))
    const changes: OpEntry['changes'] = [{ type: 'put', key: `.sys/inputs/${key}`, value: { pubkey: key } }]
    await x.tamperOp(last.seq, (e) => ({ ...e, ack: { ...e.ack, success: true, error: null }, changes }))
    await x.reseal(last.seq + 1)
  })
  const report = await verifyDirectory(dir, { fraudProof: true })
  assert.equal(report.breach?.class, 'wrong-outcome', report.breach?.message)
  assert.match(report.breach?.message ?? '', /own index log/)
  const proof = report.fraudProof?.proof
  assert.ok(proof, report.fraudProof?.reason ?? '')
  const verdict = await judge(JSON.parse(JSON.stringify(proof)))
  assert.equal(verdict.verdict, 'proven', 'reason' in verdict ? verdict.reason : '')
  assert.equal(verdict.verdict === 'proven' && verdict.class, 'wrong-outcome')
})

function toKey(key: Uint8Array): string {
  return Buffer.from(key).toString('hex')
}
