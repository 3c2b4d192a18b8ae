// Breaches of the log itself, on real signed logs: malformed genesis and entries, a verifier of
// another runtime (which must refuse rather than judge), and the append-only rule (the index
// rewritten or cut, a participant oplog forked), seen across two runs of a checkpointed monitor.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { encode } from '../src/codec/canonical.js'
import { toHex } from '../src/codec/hash.js'
import { encodeEntry, PROTOCOL, type IndexEntry, type OpEntry } from '../src/codec/messages.js'
import { Database, DatabaseError, type Json } from '../src/index.js'
import { describeBreach, VerifyError, verifyDirectory } from '../src/verify/index.js'
import { RUNTIME_ID } from '../src/vm/index.js'
import { assertCovered, counter, covered, expectBreach, expectValid, firstOp, opAt, LOG_CLASSES } from './helpers/breaches.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { DishonestExecutor, withDishonest } from './helpers/dishonest-executor.js'

// ---------------------------------------------------------------------------------------------
// Genesis

test('malformed-genesis: missing, misordered, duplicated or malformed genesis entries', async (t) => {
  const contract = await example('counter')
  const header: IndexEntry = { type: 'header', protocol: PROTOCOL, runtime: RUNTIME_ID }
  const code: IndexEntry = { type: 'contract', code: contract }
  const genesis: IndexEntry = { type: 'genesis' }
  const input = (pubkey: string): IndexEntry => ({ type: 'input', pubkey })
  type Build = (k: Record<string, string>, index: string) => (IndexEntry | Uint8Array)[]
  const cases: { name: string; build: Build; seq: number; expected?: Json; found?: Json; message?: RegExp; database?: boolean; verified?: number }[] = [
    { name: 'no header', build: (k) => [code, input(k.main), genesis], seq: 0, expected: 'header', found: 'contract', database: false },
    { name: 'contract before header', build: (k) => [code, header, input(k.main), genesis], seq: 0, database: false },
    { name: 'input before contract', build: (k) => [header, input(k.main), code, genesis], seq: 1, expected: 'contract', found: 'input', database: false },
    { name: 'no contract', build: (k) => [header, input(k.main), genesis], seq: 1, database: false },
    { name: 'the index log declared as an input', build: (k, index) => [header, code, input(k.main), input(index), genesis], seq: 3, expected: 'participant oplogs', message: /own index log/ },
    { name: 'an input declared twice', build: (k) => [header, code, input(k.main), input(k.main), genesis], seq: 3, expected: 'distinct inputs', message: /declared twice/ },
    { name: 'a contract that does not load', build: (k) => [header, { type: 'contract', code: 'export const apply = {' }, input(k.main), genesis], seq: 1, expected: 'a loadable contract', database: false },
    { name: 'a contract with no apply', build: (k) => [header, { type: 'contract', code: 'export const x = 1' }, input(k.main), genesis], seq: 1, database: false },
    { name: 'an op before the genesis ack', build: (k) => [header, code, input(k.main), opEntryFor(k.main), genesis], seq: 3, expected: 'input or genesis', found: 'op', database: false },
    { name: 'a second contract before the genesis ack', build: (k) => [header, code, code, input(k.main), genesis], seq: 2, found: 'contract', database: false },
    { name: 'an undecodable entry', build: (k) => [header, code, Uint8Array.of(0xff, 0x00), input(k.main), genesis], seq: 2, expected: 'a canonical entry', found: 'ff00', database: false },
    { name: 'a canonical value that is no entry', build: (k) => [header, code, encode({ type: 'input' }), input(k.main), genesis], seq: 2, database: false },
    { name: 'an undecodable header', build: (k) => [encode([1, 2]), code, input(k.main), genesis], seq: 0, database: false },
    { name: 'no genesis ack', build: (k) => [header, code, input(k.main)], seq: 2, verified: 3, expected: '.sys/acks/genesis at #3', found: 'the end of the log', message: /without the genesis ack/, database: false },
  ]
  for (const k of cases) {
    await t.test(k.name, async (t) => {
      const dir = await tempDir(t)
      await DishonestExecutor.forge(dir, k.build)
      await expectBreach(dir, 'malformed-genesis', { ...k }).catch((err) => {
        throw Object.assign(err as Error, { message: `${k.name}: ${(err as Error).message}` })
      })
    })
  }
  // Another protocol version is no breach this verifier can judge: it refuses, saying why.
  await t.test('another protocol', async (t) => {
    const dir = await tempDir(t)
    await DishonestExecutor.forge(dir, (k) => [{ ...header, protocol: 'glassbox/0' } as IndexEntry, code, input(k.main), genesis])
    await assert.rejects(verifyDirectory(dir), (err: Error & { code?: string }) => err.code === 'PROTOCOL_MISMATCH' && err.message.includes(PROTOCOL))
  })
  function opEntryFor(origin: string): IndexEntry {
    return { type: 'op', ack: { origin, seq: 0, oplogLength: 1, oplogHash: new Uint8Array(32), ts: 1, metadata: null, success: false, error: 'x' }, changes: [], stateRoot: new Uint8Array(32) }
  }
})

test('an empty index log is not a breach (nothing was published yet)', async (t) => {
  const dir = await tempDir(t)
  await DishonestExecutor.forge(dir, () => [])
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true)
  assert.equal(report.verified, 0)
})

test('a monitor of another runtime refuses to judge instead of reporting a breach', async (t) => {
  const contract = await example('counter')
  const dir = await tempDir(t)
  await DishonestExecutor.forge(dir, (k) => [
    { type: 'header', protocol: PROTOCOL, runtime: 'glassbox-vm/9 some-other-interpreter' },
    { type: 'contract', code: contract },
    { type: 'input', pubkey: k.main },
    { type: 'genesis' },
  ])
  await assert.rejects(verifyDirectory(dir), (err: unknown) => {
    assert.ok(err instanceof VerifyError, String(err))
    assert.equal(err.code, 'RUNTIME_MISMATCH')
    assert.match(err.message, /glassbox-vm\/9/)
    return true
  })
  // A monitor that opened the logs itself refuses the same way, and the database will not open.
  await withDishonest(dir, async (x) => {
    const m = x.monitor()
    try {
      await m.open()
      await assert.rejects(m.verifyToHead(), (err: unknown) => err instanceof VerifyError && err.code === 'RUNTIME_MISMATCH')
    } finally {
      await m.stop()
    }
  })
  await assert.rejects(Database.load(dir, { execute: false }), (err: unknown) => err instanceof DatabaseError && err.code === 'RUNTIME_MISMATCH')
})

// ---------------------------------------------------------------------------------------------
// Entries that do not decode

test('malformed-entry: an entry after genesis that does not decode', async (t) => {
  const make = (t: TestContext) => counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  const at = firstOp(2)
  const cases: { name: string; bytes: (e: OpEntry) => Uint8Array; found?: string }[] = [
    { name: 'garbage bytes', bytes: () => Uint8Array.of(0x07, 0x01, 0x01), found: '070101' },
    { name: 'trailing bytes', bytes: (e) => Uint8Array.from([...encodeEntry(e), 0]) },
    { name: 'an unknown entry type', bytes: () => encode({ type: 'vote', yes: true }) },
    { name: 'an op entry with an extra field', bytes: (e) => encode({ ...e, extra: 1 } as never) },
    { name: 'an ack that fails and has no error', bytes: (e) => encode({ ...e, ack: { ...e.ack, success: false, error: null } } as never) },
  ]
  for (const k of cases) {
    await t.test(k.name, async (t) => {
      const dir = await make(t)
      await withDishonest(dir, (x) => x.tamperOp(at, k.bytes))
      await expectBreach(dir, 'malformed-entry', { seq: at, path: null, expected: 'a canonical entry', ...(k.found ? { found: k.found } : {}), database: false })
    })
  }
})

// ---------------------------------------------------------------------------------------------
// The append-only rule: the index rewritten or cut, an oplog forked (seen across two runs)

async function checkpointed(t: TestContext, dir: string): Promise<string> {
  const checkpointPath = path.join(await tempDir(t), 'monitor.json')
  const first = await verifyDirectory(dir, { checkpointPath })
  assert.equal(first.valid, true)
  assert.equal(first.verified, first.length)
  return checkpointPath
}

test('index-rewritten: the index truncated and appended differently after a monitor saw it', async (t) => {
  const dir = await counter(t, async (db) => {
    for (let i = 0; i < 3; i++) await send1(db, 'increment', {}, i % 2 ? 'bob' : 'alice', true)
  })
  const checkpointPath = await checkpointed(t, dir)
  const { length, before } = await withDishonest(dir, async (x) => {
    const length = x.length
    const before = toHex(await x.index.treeHash(length))
    // The last op is replaced by a valid-looking one, and more entries follow.
    const last = await x.lastOp()
    const entries = await x.entries(last.seq)
    const forged: OpEntry = { ...last.entry, ack: { ...last.entry.ack, ts: last.entry.ack.ts + 1 } }
    await x.rewrite(last.seq, [forged, ...entries.slice(1), { type: 'input', pubkey: 'ef'.repeat(32) }])
    return { length, before }
  })
  const report = await verifyDirectory(dir, { checkpointPath })
  assert.equal(report.valid, false)
  const n = report.breach
  assert.ok(n)
  assert.equal(n.class, 'index-rewritten', describeBreach(n))
  assert.equal(n.seq, length)
  assert.equal(n.evidence.before?.length, length)
  assert.equal(n.evidence.before?.hash, before)
  assert.ok(n.evidence.before?.signature, 'the root seen before carries its signature')
  await withDishonest(dir, async (x) => {
    assert.equal(n.evidence.after?.length, x.length)
    assert.equal(n.evidence.after?.hash, toHex(await x.index.treeHash(x.length)))
    assert.notEqual(toHex(await x.index.treeHash(length)), before, 'two roots for one length')
  })
  covered.add('index-rewritten')
  // The notice is kept: the next run reports it again without replaying anything.
  const again = await verifyDirectory(dir, { checkpointPath })
  assert.deepEqual(again.breach, n)
})

test('index-truncated: the index shorter than a monitor saw it', async (t) => {
  const dir = await counter(t, async (db) => {
    for (let i = 0; i < 3; i++) await send1(db, 'increment', {}, 'alice', true)
  })
  const checkpointPath = await checkpointed(t, dir)
  const length = await withDishonest(dir, async (x) => {
    const length = x.length
    await x.truncate(length - 2)
    return length
  })
  const report = await verifyDirectory(dir, { checkpointPath })
  const n = report.breach
  assert.ok(n)
  assert.equal(n.class, 'index-truncated', describeBreach(n))
  assert.equal(n.seq, length - 2)
  assert.equal(n.evidence.before?.length, length)
  assert.equal(n.evidence.after?.length, length - 2)
  covered.add('index-truncated')
})

test('oplog-forked: a participant rewrites an op after it was acknowledged (monitor with a checkpoint)', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', { by: 2 }, 'alice', true)
  })
  const checkpointPath = await checkpointed(t, dir)
  const before = await withDishonest(dir, async (x) => {
    const oplog = await x.oplog('alice')
    const before = toHex(await oplog.treeHash(2))
    await x.forkOplog('alice', 1, [{ op: { op: 'INCREMENT', by: 50 } }])
    return before
  })
  const report = await verifyDirectory(dir, { checkpointPath })
  const n = report.breach
  assert.ok(n)
  assert.equal(n.class, 'oplog-forked', describeBreach(n))
  await withDishonest(dir, async (x) => {
    assert.equal(n.evidence.oplog, x.pubkey('alice'))
    assert.equal(n.evidence.before?.length, 2)
    assert.equal(n.evidence.before?.hash, before)
    assert.equal(n.evidence.after?.length, 2)
    assert.equal(n.evidence.after?.hash, toHex(await (await x.oplog('alice')).treeHash(2)))
    assert.notEqual(n.evidence.after?.hash, before)
  })
  covered.add('oplog-forked')
})

test('oplog-forked: a fresh monitor sees the acknowledged op no longer in the forked oplog', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', {}, 'bob', true)
    await send1(db, 'increment', { by: 2 }, 'alice', true)
  })
  await withDishonest(dir, (x) => x.forkOplog('alice', 1, [{ op: { op: 'INCREMENT', by: 9 } }, { op: { op: 'INCREMENT', by: 9 } }]))
  // The first ack of alice still matches; her second one names a root her oplog no longer has.
  const n = await expectBreach(dir, 'oplog-forked', { seq: opAt(2, 2), oplog: 'alice', opSeq: 1 })
  await withDishonest(dir, async (x) => {
    const acked = await x.entry(opAt(2, 2))
    assert.ok(acked.type === 'op')
    const oplog = await x.oplog('alice')
    assert.deepEqual(n.evidence.before, { length: 2, hash: toHex(acked.ack.oplogHash), signature: null })
    assert.equal(n.evidence.after?.length, 3)
    assert.equal(n.evidence.after?.hash, toHex(await oplog.treeHash(3)))
    assert.ok(n.evidence.after?.signature, "the forked oplog's root comes with its signature")
    assert.equal(n.expected, toHex(await oplog.treeHash(2)))
    assert.equal(n.found, toHex(acked.ack.oplogHash))
  })
})

test('honest directories used above verify as valid, and a monitor catches a tampered copy only', async (t) => {
  const make = (t: TestContext) => counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  const honest = await make(t)
  const dir = await make(t)
  await withDishonest(dir, (x) => x.tamperOp(firstOp(2), (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 2 }] })))
  await expectValid(honest)
  await expectBreach(dir, 'changes-mismatch', { seq: firstOp(2) })
})

test('every class of log breach has a case above (this test runs last)', () => {
  assertCovered(LOG_CLASSES)
})
