// Every breach class found by replaying entries is caught on real signed logs: an honest database is
// made, a dishonest executor writes to its Hypercores, and the monitor must name the class, the
// index entry and the evidence. Fresh monitors read the directory (verifyDirectory) and, where the
// directory still opens as a database, the database's own monitor (db.verify()) must agree.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { toHex } from '../src/codec/hash.js'
import { randomBytes } from 'node:crypto'
import { PROTOCOL, type IndexEntry, type OpEntry, type SealEntry } from '../src/codec/messages.js'
import type { Json } from '../src/index.js'
import { RUNTIME_ID } from '../src/vm/index.js'
import { assertCovered, counter, ENTRY_CLASSES, expectBreach, expectValid, firstOp, opAt, WITH_PROCESS } from './helpers/breaches.js'
import { example, honestDir, send1, withoutExecutor } from './helpers/databases.js'
import { withDishonest, type DishonestExecutor } from './helpers/dishonest-executor.js'

/** A contract whose ops make several changes, to tamper with one of them. */
const MULTI = `
import assert from 'assert'
export function set({ pairs }, emit) { emit({ op: 'SET', pairs }) }
export function drop({ key }, emit) { emit({ op: 'DROP', key }) }
export const apply = {
  SET(tx, op) {
    assert(Array.isArray(op.pairs) && op.pairs.length > 0, 'pairs must be a non-empty array')
    for (const [k, v] of op.pairs) tx.put(k, v)
  },
  async DROP(tx, op) {
    assert((await tx.get(op.key)) !== null, 'nothing at ' + op.key)
    tx.delete(op.key)
  },
}
`


// ---------------------------------------------------------------------------------------------
// Changes that differ from what the contract produces

test('changes-mismatch: a change with another key, value or type, changes reordered, dropped or added', async (t) => {
  const make = (t: TestContext) =>
    honestDir(t, { contract: MULTI, oplogs: ['alice', 'bob'] }, async (db) => {
      await send1(db, 'set', { pairs: [['/a', 1], ['/b', 2], ['/c', 3]] }, 'alice', true)
      await send1(db, 'drop', { key: '/b' }, 'bob', true)
    })
  await expectValid(await make(t))
  const at = firstOp(2)
  const a = { type: 'put', key: '/a', value: 1 }
  const b = { type: 'put', key: '/b', value: 2 }
  const c = { type: 'put', key: '/c', value: 3 }
  const cases: { name: string; mutate: (changes: OpEntry['changes']) => OpEntry['changes']; expected: Json; found: Json; counts: string }[] = [
    { name: 'key', mutate: (ch) => [ch[0], { ...b, key: '/x' } as typeof ch[0], ch[2]], expected: b, found: { ...b, key: '/x' }, counts: '3 change(s) expected, 3 found' },
    { name: 'value', mutate: (ch) => [ch[0], ch[1], { ...c, value: 4 } as typeof ch[0]], expected: c, found: { ...c, value: 4 }, counts: '3 change(s) expected, 3 found' },
    { name: 'type', mutate: (ch) => [{ type: 'del', key: '/a' }, ch[1], ch[2]], expected: a, found: { type: 'del', key: '/a' }, counts: '3 change(s) expected, 3 found' },
    { name: 'order', mutate: (ch) => [ch[1], ch[0], ch[2]], expected: a, found: b, counts: '3 change(s) expected, 3 found' },
    { name: 'fewer', mutate: (ch) => [ch[0], ch[1]], expected: c, found: null, counts: '3 change(s) expected, 2 found' },
    { name: 'more', mutate: (ch) => [...ch, { type: 'put', key: '/d', value: 4 }], expected: null, found: { type: 'put', key: '/d', value: 4 }, counts: '3 change(s) expected, 4 found' },
  ]
  for (const k of cases) {
    await t.test(k.name, async (t) => {
      const dir = await make(t)
      let origin = ''
      await withDishonest(dir, (x) =>
        x.tamperOp(at, (e) => {
          origin = e.ack.origin
          return { ...e, changes: k.mutate(e.changes) }
        }),
      )
      const n = await expectBreach(dir, 'changes-mismatch', { seq: at, path: `.sys/acks/${origin}/0`, expected: k.expected, found: k.found, oplog: origin, opSeq: 0 })
      assert.ok(n.message.includes(k.counts), n.message)
    })
  }
  await t.test('a failed op that still changes the state', async (t) => {
    const dir = await make(t)
    await withDishonest(dir, (x) => x.tamperOp(opAt(2, 1), (e) => ({ ...e, ack: { ...e.ack, success: false, error: 'nothing at /b' }, changes: e.changes })))
    // The contract accepts DROP /b, so the outcome is what differs first.
    await expectBreach(dir, 'wrong-outcome', { seq: opAt(2, 1) })
  })
})

// ---------------------------------------------------------------------------------------------
// Entries no op caused

test('entry-without-op: a genesis-type entry after genesis', async (t) => {
  const make = (t: TestContext) => counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  const end = opAt(2, 1)
  const blocks: { name: string; entry: () => IndexEntry; path: string }[] = [
    { name: 'an input', entry: () => ({ type: 'input', pubkey: 'ab'.repeat(32) }), path: `.sys/inputs/${'ab'.repeat(32)}` },
    { name: 'a second contract', entry: () => ({ type: 'contract', code: 'export const apply = { NOP() {} }' }), path: '.sys/contract/source' },
    { name: 'a second header', entry: () => ({ type: 'header', protocol: PROTOCOL, runtime: RUNTIME_ID }), path: '.sys/header' },
    { name: 'a second genesis', entry: () => ({ type: 'genesis' }), path: '.sys/acks/genesis' },
  ]
  for (const k of blocks) {
    await t.test(k.name, async (t) => {
      const dir = await make(t)
      const entry = k.entry()
      await withDishonest(dir, (x) => x.append(entry))
      await expectBreach(dir, 'entry-without-op', { seq: end, path: k.path, expected: 'an op entry', found: entry.type })
    })
  }
})

test('entry-without-op: an ack for an op beyond the end of the oplog', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', {}, 'alice', true)
  })
  const seq = await withDishonest(dir, async (x) => {
    assert.equal((await x.oplog('alice')).length, 2)
    return x.append(await x.opEntry('alice', 2, [{ type: 'put', key: '/count', value: 3 }]))
  })
  await expectBreach(dir, 'entry-without-op', { seq, expected: 'oplogLength <= 2', found: 3, oplog: 'alice', opSeq: 2, message: /is 2 long/ })
})

// ---------------------------------------------------------------------------------------------
// Ops skipped, repeated, reordered, or from logs that are not inputs

test('op-skipped: the ack of op 1 while op 0 was never acknowledged', async (t) => {
  const dir = await counter(t, async () => {})
  // Two ops reach alice's oplog while no executor runs.
  await withoutExecutor(dir, async (db) => {
    await db.call('increment', { by: 1 }, { as: 'alice' })
    await db.call('increment', { by: 2 }, { as: 'alice' })
  })
  const seq = await withDishonest(dir, async (x) => x.append(await x.opEntry('alice', 1, [{ type: 'put', key: '/count', value: 2 }])))
  assert.equal(seq, firstOp(2))
  await expectBreach(dir, 'op-skipped', { seq, expected: 0, found: 1, oplog: 'alice', opSeq: 1, message: /skips op\(s\) 0\.\.0/ })
})

test('op-skipped: ops acknowledged out of order are caught at the first one taken too early', async (t) => {
  const dir = await counter(t, async (db) => {
    for (let i = 0; i < 3; i++) await send1(db, 'increment', {}, 'alice', true)
  })
  const at = firstOp(2)
  await withDishonest(dir, async (x) => {
    const [e0, s0, e1, s1, e2] = await x.entries(at)
    await x.rewrite(opAt(2, 1), [e2, s1, e1])
    assert.equal(e0.type, 'op')
    assert.equal(s0.type, 'seal')
  })
  await expectBreach(dir, 'op-skipped', { seq: opAt(2, 1), expected: 1, found: 2, opSeq: 2 })
})

test('op-out-of-order: an op processed twice', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', {}, 'bob', true)
  })
  const seq = await withDishonest(dir, async (x) => x.append(await x.entry(firstOp(2))))
  await expectBreach(dir, 'op-out-of-order', { seq, expected: 1, found: 0, oplog: 'alice', opSeq: 0, message: /repeats or reorders op 0/ })
})

test('op-out-of-order: an earlier op acknowledged after a later one of the same oplog', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', {}, 'alice', true)
  })
  // An ack of op 0 with a fresh hash and outcome after op 1 was acknowledged.
  const seq = await withDishonest(dir, async (x) => x.append(await x.opEntry('alice', 0, [{ type: 'put', key: '/count', value: 3 }])))
  await expectBreach(dir, 'op-out-of-order', { seq, expected: 2, found: 0 })
})

test('not-an-input: an op from an oplog that was never declared', async (t) => {
  let mallory = ''
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    mallory = await db.createOplog('mallory')
  })
  const seq = await withDishonest(dir, async (x) => {
    await x.appendOps('mallory', [{ op: { op: 'INCREMENT', by: 100 } }])
    return x.append(await x.opEntry('mallory', 0, [{ type: 'put', key: '/count', value: 101 }]))
  })
  const inputs = await withDishonest(dir, async (x) => [x.pubkey('alice'), x.pubkey('bob')].sort())
  await expectBreach(dir, 'not-an-input', { seq, path: `.sys/acks/${mallory}/0`, expected: inputs, found: mallory, oplog: mallory, opSeq: 0 })
})

test('not-an-input: an op from an oplog the contract removed', async (t) => {
  const dir = await honestDir(t, { contract: await example('kv-store'), oplogs: ['alice', 'bob'] }, async (db) => {
    await send1(db, 'claimAdmin', {}, 'alice', true)
    await send1(db, 'put', { key: 'k', value: 1 }, 'bob', true)
    await send1(db, 'removeParticipant', { pubkey: db.oplogs.bob }, 'alice', true)
  })
  // Bob keeps writing; a dishonest executor keeps applying his ops.
  const { seq, alice, bob } = await withDishonest(dir, async (x) => {
    const opSeq = await x.appendOps('bob', [{ op: { op: 'PUT', key: 'k', value: 2 } }])
    assert.equal(opSeq, 1)
    const seq = await x.append(await x.opEntry('bob', 1, [{ type: 'put', key: '/values/k', value: 2 }]))
    return { seq, alice: x.pubkey('alice'), bob: x.pubkey('bob') }
  })
  await expectBreach(dir, 'not-an-input', { seq, expected: [alice], found: bob, opSeq: 1 })
})

// ---------------------------------------------------------------------------------------------
// Acks that do not match the participant's signed log

test("ack-mismatch: an ack whose oplog hash is not the oplog's signed root", async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', { by: 2 }, 'alice', true)
  })
  const at = opAt(2, 1)
  let wrong = ''
  let right = ''
  await withDishonest(dir, async (x) => {
    const oplog = await x.oplog('alice')
    right = toHex(await oplog.treeHash(2))
    const other = await oplog.treeHash(1)
    wrong = toHex(other)
    await x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, oplogHash: new Uint8Array(other) } }))
  })
  await expectBreach(dir, 'ack-mismatch', { seq: at, expected: right, found: wrong, oplog: 'alice', opSeq: 1, message: /oplog hash differs/ })
})

test('ack-mismatch: an ack that names another length of the oplog than its root was taken at', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
  })
  // Alice writes two more ops; the executor's ack of op 0 claims the oplog was 3 long but keeps
  // the root of length 1.
  await withDishonest(dir, (x) => x.appendOps('alice', [{ op: { op: 'INCREMENT', by: 1 } }, { op: { op: 'INCREMENT', by: 1 } }]))
  const at = firstOp(2)
  let right = ''
  await withDishonest(dir, async (x) => {
    right = toHex(await (await x.oplog('alice')).treeHash(3))
    await x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, oplogLength: 3 } }))
  })
  await expectBreach(dir, 'ack-mismatch', { seq: at, expected: right, oplog: 'alice', opSeq: 0, message: /at length 3/ })
})

test('ack-mismatch: metadata in an ack although the contract has no process()', async (t) => {
  const dir = await counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  const at = firstOp(2)
  await withDishonest(dir, (x) => x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, metadata: { price: 7 } } })))
  await expectBreach(dir, 'ack-mismatch', { seq: at, expected: null, found: { price: 7 }, message: /no process\(\)/ })
})

test('ack-mismatch: metadata in an ack that says process() failed', async (t) => {
  const dir = await honestDir(t, { contract: WITH_PROCESS, oplogs: ['alice'] }, async (db) => {
    const r = await send1(db, 'note', { text: 'explode' }, 'alice', false)
    assert.match(r.error ?? '', /^process\(\) failed: /)
  })
  const at = firstOp(1)
  await withDishonest(dir, (x) => x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, metadata: { length: 1 } } })))
  await expectBreach(dir, 'ack-mismatch', { seq: at, expected: null, found: { length: 1 } })
})

test('ts-backwards: an ack backdated before the previous op entry', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', {}, 'bob', true)
  })
  const at = opAt(2, 1)
  const before = await withDishonest(dir, async (x) => {
    const previous = await x.entry(opAt(2, 0))
    assert.equal(previous.type, 'op')
    await x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, ts: previous.ack.ts - 1 } }))
    await x.reseal(at + 1)
    return previous.ack.ts
  })
  await expectBreach(dir, 'ts-backwards', { seq: at, expected: `>= ${before}`, found: before - 1, oplog: 'bob', opSeq: 0 })
})

// ---------------------------------------------------------------------------------------------
// Outcomes

test('wrong-outcome: a valid op failed', async (t) => {
  const dir = await counter(t, async (db) => void (await send1(db, 'increment', { by: 3 }, 'alice', true)))
  const at = firstOp(2)
  await withDishonest(dir, (x) => x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, success: false, error: 'counter is full' }, changes: [] })))
  await expectBreach(dir, 'wrong-outcome', { seq: at, expected: 'success', found: 'failure: counter is full' })
})

test('wrong-outcome: an invalid op accepted, with changes the contract would not make', async (t) => {
  let error = ''
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', { by: 2 }, 'alice', true)
    error = (await send1(db, 'increment', { by: -5 }, 'bob', false)).error ?? ''
  })
  const at = opAt(2, 1)
  await withDishonest(dir, (x) =>
    x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, success: true, error: null }, changes: [{ type: 'put', key: '/count', value: -3 }] })),
  )
  assert.match(error, /positive whole number/)
  await expectBreach(dir, 'wrong-outcome', { seq: at, expected: `failure: ${error}`, found: 'success', oplog: 'bob', opSeq: 0 })
})

test('wrong-outcome: a failed op with another error than the contract gives', async (t) => {
  let error = ''
  const dir = await counter(t, async (db) => void (error = (await send1(db, 'increment', { by: 0 }, 'alice', false)).error ?? ''))
  const at = firstOp(2)
  await withDishonest(dir, (x) => x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, error: 'out of gas' } })))
  await expectBreach(dir, 'wrong-outcome', { seq: at, expected: `failure: ${error}`, found: 'failure: out of gas' })
})

test('wrong-outcome: a failure blamed on process() when the contract has none', async (t) => {
  const dir = await counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  const at = firstOp(2)
  await withDishonest(dir, (x) => x.tamperOp(at, (e) => ({ ...e, ack: { ...e.ack, success: false, error: 'process() failed: busy' }, changes: [] })))
  await expectBreach(dir, 'wrong-outcome', { seq: at, expected: 'success', found: 'failure: process() failed: busy' })
})

test('changes-mismatch: a failure blamed on process() cannot carry changes', async (t) => {
  const dir = await honestDir(t, { contract: WITH_PROCESS, oplogs: ['alice'] }, async (db) => {
    await send1(db, 'note', { text: 'explode' }, 'alice', false)
  })
  const at = firstOp(1)
  const change = { type: 'put', key: '/notes/0', value: { text: 'forged', length: 6 } } as const
  await withDishonest(dir, (x) => x.tamperOp(at, (e) => ({ ...e, changes: [change] })))
  await expectBreach(dir, 'changes-mismatch', { seq: at, expected: null, found: change })
})

test('wrong-root: the right changes with a state root the state after them does not have', async (t) => {
  const dir = await counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  const at = firstOp(2)
  let honest = ''
  const forged = new Uint8Array(32).fill(7)
  await withDishonest(dir, (x) =>
    x.tamperOp(at, (e) => {
      honest = Buffer.from(e.stateRoot).toString('hex')
      return { ...e, stateRoot: forged }
    }),
  )
  await expectBreach(dir, 'wrong-root', { seq: at, expected: honest, found: Buffer.from(forged).toString('hex'), message: /state root after the op/ })
})

test('bad-seal: a seal that lies about the entries or the state it covers, or that another key signed', async (t) => {
  const make = (t: TestContext) => counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  await expectValid(await make(t))
  const at = opAt(2, 0) + 1
  const cases: { name: string; mutate: (s: SealEntry, x: DishonestExecutor) => SealEntry; message: RegExp }[] = [
    { name: 'a state root that is not the state after the block', mutate: (s, x) => x.sign({ ...s, stateRoot: new Uint8Array(32).fill(9) }), message: /state root/ },
    { name: 'a tree hash that is not the log before it', mutate: (s, x) => x.sign({ ...s, treeHash: new Uint8Array(32).fill(9) }), message: /tree hash/ },
    { name: 'oplog positions that are not where the block leaves them', mutate: (s, x) => x.sign({ ...s, positions: new Uint8Array(32).fill(9) }), message: /oplog positions/ },
    { name: 'a length other than its position', mutate: (s, x) => x.sign({ ...s, length: s.length - 1 }), message: /claims to cover/ },
    { name: 'accumulator peaks that are not the log before it', mutate: (s, x) => x.sign({ ...s, peaks: s.peaks.map(() => new Uint8Array(32).fill(9)) }), message: /accumulator peaks/ },
    { name: 'one accumulator peak too many', mutate: (s, x) => x.sign({ ...s, peaks: [...s.peaks, new Uint8Array(32)] }), message: /accumulator peaks/ },
    { name: 'a signature by another key', mutate: (s) => ({ ...s, signature: randomBytes(64) }), message: /not signed/ },
  ]
  for (const k of cases) {
    await t.test(k.name, async (t) => {
      const dir = await make(t)
      await withDishonest(dir, (x) =>
        x.tamper(at, (e) => {
          assert.equal(e.type, 'seal')
          return k.mutate(e as SealEntry, x)
        }),
      )
      await expectBreach(dir, 'bad-seal', { seq: at, message: k.message })
    })
  }
})

// ---------------------------------------------------------------------------------------------
// Switches of the contract source or the input set that no op made

test('unexplained-switch: a contract source, an input added or removed, slipped into an op entry', async (t) => {
  const make = (t: TestContext) => counter(t, async (db) => void (await send1(db, 'increment', {}, 'alice', true)))
  const at = firstOp(2)
  const count = { type: 'put', key: '/count', value: 1 }
  const evil = 'export const apply = { INCREMENT(tx) { tx.put("/count", 1000) } }'
  const stranger = 'cd'.repeat(32)
  const cases: { name: string; changes: (alice: string) => OpEntry['changes']; expected: Json; found: (alice: string) => Json }[] = [
    {
      name: 'contract source after the changes',
      changes: () => [count as OpEntry['changes'][0], { type: 'put', key: '.sys/contract/source', value: evil }],
      expected: null,
      found: () => ({ type: 'put', key: '.sys/contract/source', value: evil }),
    },
    {
      name: 'input added before the changes',
      changes: () => [{ type: 'put', key: `.sys/inputs/${stranger}`, value: { pubkey: stranger } }, count as OpEntry['changes'][0]],
      expected: count,
      found: () => ({ type: 'put', key: `.sys/inputs/${stranger}`, value: { pubkey: stranger } }),
    },
    {
      name: 'input removed',
      changes: (alice) => [count as OpEntry['changes'][0], { type: 'del', key: `.sys/inputs/${alice}` }],
      expected: null,
      found: (alice) => ({ type: 'del', key: `.sys/inputs/${alice}` }),
    },
  ]
  for (const k of cases) {
    await t.test(k.name, async (t) => {
      const dir = await make(t)
      const alice = await withDishonest(dir, async (x) => {
        const alice = x.pubkey('alice')
        await x.tamperOp(at, (e) => ({ ...e, changes: k.changes(alice) }))
        return alice
      })
      await expectBreach(dir, 'unexplained-switch', { seq: at, expected: k.expected, found: k.found(alice) })
    })
  }
})

test('unexplained-switch: another contract than the one an upgrade op installs', async (t) => {
  const v2 = 'export const apply = { NOP() {} }'
  const upgradable = `export function upgrade({ code }, emit) { emit({ op: 'UPGRADE', code }) }
export const apply = { UPGRADE(tx, op) { tx.setContractSource({ code: op.code }) } }`
  const dir = await honestDir(t, { contract: upgradable, oplogs: ['alice'] }, async (db) => {
    await send1(db, 'upgrade', { code: v2 }, 'alice', true)
  })
  const at = firstOp(1)
  const other = 'export const apply = { NOP(tx) { tx.put("/owned", true) } }'
  await withDishonest(dir, (x) => x.tamperOp(at, (e) => ({ ...e, changes: [{ type: 'put', key: '.sys/contract/source', value: other }] })))
  await expectBreach(dir, 'unexplained-switch', {
    seq: at,
    expected: { type: 'put', key: '.sys/contract/source', value: v2 },
    found: { type: 'put', key: '.sys/contract/source', value: other },
  })
})

test('every class found by replaying entries has a case above (this test runs last)', () => {
  assertCovered(ENTRY_CLASSES)
})
