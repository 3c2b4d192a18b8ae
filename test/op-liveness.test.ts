// Ops left unacknowledged (docs/protocol.md §5.4): a monitor says when an input's op waits past its
// op timeout, and what the executor did meanwhile, with the signed heads that show it: nothing
// (executor-silent), other participants' ops (participant-starved), or neither (op-overdue). Never a
// breach, never before the timeout, never for an op the index acknowledged.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { encodeOp } from '../src/codec/messages.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { Monitor, type Checkpoint, type OpOverdueNotice, type SignedRoot } from '../src/verify/index.js'
import { OpWatch } from '../src/verify/op-watch.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import type Hypercore from 'hypercore'
import { glassbox } from './helpers/cli.js'
import { example, send1, tempDir, waitForEvent, withoutExecutor } from './helpers/databases.js'

const root = (length: number): SignedRoot => ({ length, hash: `h${length}`, signature: `s${length}` })
const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

test('OpWatch: silent, starved and overdue are told apart by the heads; an ack starts the clock again', () => {
  const watch = new OpWatch(1000)
  // B published op 3; nothing of it is acknowledged past 2.
  const inputs = (aLast: number, bLast: number, bLength: number) => [
    { oplog: A, lastSeq: aLast, head: root(aLast + 1) },
    { oplog: B, lastSeq: bLast, head: root(bLength) },
  ]
  assert.deepEqual(watch.observe(inputs(5, 2, 4), root(10), 0), [], 'not before the timeout')
  assert.equal(watch.dueIn(0), 1000)
  const [silent] = watch.observe(inputs(5, 2, 4), root(10), 1000)
  assert.equal(silent.kind, 'executor-silent')
  assert.deepEqual([silent.oplog, silent.seq, silent.pending, silent.waitedMs], [B, 3, 1, 1000])
  assert.deepEqual(silent.evidence.oplogHead, root(4))
  assert.deepEqual([silent.evidence.indexThen, silent.evidence.indexNow], [root(10), root(10)])
  assert.match(silent.message, /op 3 of oplog bbbbbbbb… has waited 1000 ms unacknowledged .*executor is silent/)

  // The executor acknowledges two of A's ops and passes over B's.
  const [starved] = watch.observe(inputs(7, 2, 5), root(13), 1500)
  assert.equal(starved.kind, 'participant-starved')
  assert.deepEqual(starved.evidence.ackedSince, { [A]: 2 })
  assert.equal(starved.pending, 2)
  assert.deepEqual(starved.evidence.oplogHead, root(4), 'the head that first held the op')
  assert.deepEqual(starved.evidence.indexNow, root(13))

  // B's op 3 acknowledged: its clock starts again for op 4, and nothing is overdue.
  assert.deepEqual(watch.observe(inputs(7, 3, 5), root(14), 2000), [])
  assert.equal(watch.dueIn(2000), 1000)
  // The index grows with seals only: neither silent nor starving anyone in particular.
  const [overdue] = watch.observe(inputs(7, 3, 5), root(16), 3000)
  assert.equal(overdue.kind, 'op-overdue')
  assert.deepEqual([overdue.seq, overdue.evidence.ackedSince], [4, {}])

  // An input no longer active (removed by the contract) is no longer watched.
  assert.deepEqual(watch.observe([{ oplog: A, lastSeq: 7, head: root(8) }], root(16), 9000), [])
  assert.deepEqual(Object.keys(watch.saved), [])
  assert.throws(() => new OpWatch(-1), /whole number of ms/)
})

/** A kv database whose executor never sees oplog `bob`: it is an input kept in another directory. */
async function withUnseenInput(t: TestContext) {
  const bobLogs = new LogStore(await tempDir(t))
  await bobLogs.ready()
  t.after(() => bobLogs.close())
  const bob = await bobLogs.localOplog('bob')
  const bobKey = bob.key.toString('hex')
  const db = await Database.create(await tempDir(t), { contract: await example('kv-store'), oplogs: ['alice'], inputs: [bobKey] })
  t.after(() => db.close())
  await send1(db, 'put', { key: 'x', value: 1 }, 'alice', true)
  const internals = db as unknown as { index: Hypercore; logs: LogStore }
  // The monitor sees bob's oplog as bob's peers would serve it; the executor has no copy of it.
  const logs = { index: internals.index, oplog: (pubkey: string) => (pubkey === bobKey ? Promise.resolve(bob) : internals.logs.byPubkey(pubkey)) }
  return { db, bob, bobKey, logs }
}

test('an op the executor never acknowledges: silent while the index stands, starved once it serves others', async (t) => {
  const { db, bob, bobKey, logs } = await withUnseenInput(t)
  const monitor = new Monitor(logs, { opTimeoutMs: 0 })
  await monitor.open()
  t.after(() => monitor.stop())
  assert.deepEqual((await monitor.verifyToHead()).notices, [], 'nothing published, nothing waits')

  await bob.append(Buffer.from(encodeOp({ op: 'PUT', key: 'from-bob', value: 1 })))
  // A notice comes after its pass is reported: whoever hears it finds that pass's status.
  const heard: string[] = []
  monitor.on('verified', () => heard.push('verified'))
  monitor.on('notice', (n: OpOverdueNotice) => heard.push(n.kind))
  const first = await monitor.verifyToHead()
  assert.deepEqual(heard, ['verified', 'executor-silent'])
  assert.equal(first.valid, true)
  const [silent] = first.notices as OpOverdueNotice[]
  assert.equal(silent.kind, 'executor-silent')
  assert.deepEqual([silent.oplog, silent.seq, silent.pending], [bobKey, 0, 1])
  assert.equal(silent.evidence.oplogHead.length, 1)
  assert.match(silent.evidence.oplogHead.signature ?? '', /^[0-9a-f]{128,}$/, "bob's signature on the head that holds the op")

  await send1(db, 'put', { key: 'y', value: 2 }, 'alice', true)
  await send1(db, 'put', { key: 'z', value: 3 }, 'alice', true)
  const second = await monitor.verifyToHead()
  assert.equal(second.valid, true, 'a liveness notice is never a breach')
  const [starved] = second.notices as OpOverdueNotice[]
  assert.equal(starved.kind, 'participant-starved')
  const alice = (await db.info()).oplogs.find((o) => o.name === 'alice')?.pubkey ?? ''
  assert.deepEqual(starved.evidence.ackedSince, { [alice]: 2 })
  assert.ok(starved.evidence.indexNow.length > starved.evidence.indexThen.length)
  assert.equal(starved.since, silent.since, 'the clock runs from when the op was first seen')
})

test('a watching monitor tells a waiting op when its timeout falls due, with no log growing', { timeout: 60_000 }, async (t) => {
  const { bob, logs } = await withUnseenInput(t)
  const monitor = new Monitor(logs, { opTimeoutMs: 200 })
  await monitor.open()
  t.after(() => monitor.stop())
  await monitor.watch()
  const told = waitForEvent<OpOverdueNotice>(monitor, 'notice')
  await bob.append(Buffer.from(encodeOp({ op: 'PUT', key: 'from-bob', value: 1 })))
  const n = await told
  assert.equal(n.kind, 'executor-silent')
  assert.ok(n.waitedMs >= 200)
  assert.deepEqual(monitor.notices().map((x) => x.kind), ['executor-silent'])
})

test('verify: no op notice for acknowledged ops or before the timeout; the clock is kept across runs', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'] })
  await send1(db, 'put', { key: 'x', value: 1 }, 'alice', true)
  await db.close()
  assert.deepEqual((await verifyDirectory(dir, { opTimeoutMs: 0 })).notices, [], 'every op acknowledged: no false notice')

  // An op published while no executor runs.
  await withoutExecutor(dir, async (d) => void (await d.call('put', { key: 'late', value: 2 }, { as: 'alice' })))
  assert.deepEqual((await verifyDirectory(dir)).notices, [], 'a one-shot run has seen it wait for no time')
  const checkpointPath = path.join(dir, 'monitor.json')
  assert.deepEqual((await verifyDirectory(dir, { checkpointPath, opTimeoutMs: 3_600_000 })).notices, [])
  const saved = JSON.parse(await readFile(checkpointPath, 'utf8')) as Checkpoint
  const alice = Object.keys(saved.waitingOps ?? {})
  assert.equal(alice.length, 1, 'the waiting op is kept in the checkpoint')

  const cli = await glassbox(['verify', '--op-timeout', '0', '--dir', dir], dir)
  assert.equal(cli.code, 0, 'a notice does not change the exit code')
  assert.match(cli.stdout, /NOTICE executor-silent: op 1 of oplog [0-9a-f]{8}… has waited \d+ ms unacknowledged/)
  const json = await glassbox(['verify', '--op-timeout', '0', '--dir', dir, '--json'], dir)
  const report = JSON.parse(json.stdout) as { valid: boolean; notices: OpOverdueNotice[] }
  assert.equal(report.valid, true)
  assert.deepEqual(report.notices.map((n) => [n.kind, n.oplog, n.seq]), [['executor-silent', alice[0], 1]])
  const bad = await glassbox(['verify', '--op-timeout', 'soon', '--dir', dir], dir)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /op-timeout/)
})
