// No false breaches: random honest workloads over every example contract (and an upgradable
// contract that switches its own source and hits the runtime's limits) must verify as valid, with
// no notice, every entry verified, whether the monitor follows the database live while the calls
// are made or replays the closed directory afterwards.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import fc from 'fast-check'
import { encode } from '../src/codec/canonical.js'
import { CallError, Database, DatabaseError, type ExecutorOptions, type Json, type OpRef } from '../src/index.js'
import { describeBreach, verifyDirectory, type BreachNotice, type Monitor } from '../src/verify/index.js'
import { example, type ExampleName } from './helpers/databases.js'
import { DishonestExecutor } from './helpers/dishonest-executor.js'

/**
 * One step of a workload. In params, a string `@name` stands for the public key of oplog `name`
 * and `#i` for the i-th id a call has returned so far (modulo their number).
 */
type Action =
  | { kind: 'call'; method: string; params: Json; as: string }
  /** An op written straight into an oplog, bypassing the contract's API (maybe malformed). */
  | { kind: 'raw'; as: string; block: RawBlock }
  /** Wait until the executor has processed everything so far (otherwise calls pile up in blocks). */
  | { kind: 'settle' }
  /** Let the executor's clock move on. */
  | { kind: 'tick'; ms: number }

type RawBlock = { op: Json } | 'garbage' | 'bytes' | 'oversize' | 'deep' | 'nested'

interface Workload {
  contract: string
  /** Oplogs declared as inputs at genesis. */
  inputs: string[]
  /** Oplogs created later, not inputs until the contract adds them. */
  outsiders?: string[]
  /** Steps run before the random ones. */
  prefix?: Action[]
  action: fc.Arbitrary<Action>
  maxActions: number
  numRuns: number
}

const T0 = 1_700_000_000_000

function rawBlock(block: RawBlock): { raw: Uint8Array } | { op: Json } {
  switch (block) {
    case 'garbage':
      return { raw: Uint8Array.of(0xff, 0x01) }
    case 'bytes':
      return { raw: encode({ op: 'PUT', key: 'k', value: new Uint8Array([1, 2, 3]) }) }
    case 'oversize':
      return { raw: encode({ op: 'PUT', key: 'k', value: 'x'.repeat(70_000) }) }
    case 'deep':
      // Arrays nested 70 deep: past the encoding's nesting limit, so the block does not decode.
      return { raw: Uint8Array.from([...Array.from({ length: 70 }, () => [0x06, 0x01]).flat(), 0x00]) }
    case 'nested':
      // The deepest value an op can carry that an entry can still hold (see the todo test below).
      return { op: { op: 'PUT', key: 'k', value: nested(61) } }
    default:
      return block
  }
}

function nested(depth: number): Json {
  let v: Json = 1
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

function resolve(value: Json, db: Database, ids: string[]): Json {
  if (typeof value === 'string' && value.startsWith('@')) return db.oplogs[value.slice(1)] ?? value
  if (typeof value === 'string' && value.startsWith('#')) return ids.length ? ids[Number(value.slice(1)) % ids.length] : 'no-such-id'
  if (Array.isArray(value)) return value.map((v) => resolve(v, db, ids))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [resolve(k, db, ids) as string, resolve(v, db, ids)]))
  return value
}

/** Calls the monitor until it has verified `length` entries (a pass under way may predate them). */
async function caughtUp(m: Monitor, length: number) {
  for (let i = 0; i < 50; i++) {
    const report = await m.verifyToHead()
    if (!report.valid || report.verified >= length) return report
  }
  throw new Error(`the monitor did not reach length ${length}`)
}

/** What a run exercised, summed over the runs of a property (reported as test diagnostics). */
interface Tally {
  runs: number
  ops: number
  failed: number
  inputSwitches: number
  sourceSwitches: number
}

/** Runs one workload against a fresh database and checks that every monitor finds it valid. */
async function runHonest(w: Workload, actions: Action[], live: boolean, inspect?: (db: Database) => Promise<void>, tally?: Tally): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-honest-'))
  const clock = { now: T0 }
  const executor: ExecutorOptions = { now: () => clock.now, blockSize: 4 }
  let db: Database | null = null
  try {
    db = await Database.create(dir, { contract: w.contract, oplogs: w.inputs, executor })
    for (const name of w.outsiders ?? []) await db.createOplog(name)
    const x = await DishonestExecutor.attach(db)
    const violations: BreachNotice[] = []
    const errors: Error[] = []
    let verifiedEvents = 0
    const monitor = live ? await db.monitor() : null
    monitor?.on('violation', (n: BreachNotice) => violations.push(n))
    monitor?.on('error', (err: Error) => errors.push(err))
    monitor?.on('verified', () => verifiedEvents++)
    const pending: OpRef[] = []
    const ids: string[] = []
    for (const a of [...(w.prefix ?? []), ...actions]) {
      if (a.kind === 'settle') await db.settled()
      else if (a.kind === 'tick') clock.now += a.ms
      else if (a.kind === 'raw') {
        const seq = await x.appendOps(a.as, [rawBlock(a.block)])
        pending.push({ origin: db.oplogs[a.as], seq, op: null })
      } else {
        try {
          const r = await db.call(a.method, resolve(a.params, db, ids), { as: a.as })
          pending.push(...r.ops)
          const id = r.response !== null && typeof r.response === 'object' && !Array.isArray(r.response) ? r.response.id : undefined
          if (typeof id === 'string') ids.push(id)
        } catch (err) {
          // Refused before any op was written: not a writer, an API assertion, an unknown method.
          if (!(err instanceof CallError)) throw err
        }
      }
    }
    for (const ref of pending) {
      try {
        await db.whenProcessed([ref])
      } catch (err) {
        // The op's oplog was removed before its turn: it is never processed (until added again).
        if (!(err instanceof DatabaseError && err.code === 'OPLOG_NOT_INPUT')) throw err
      }
    }
    await db.settled()
    await inspect?.(db)
    const length = db.length
    const opEntries = (await db.history()).flatMap((h) => (h.log === 'index' && h.entry.type === 'op' ? [h.entry] : []))
    const processed = opEntries.length
    if (tally) {
      tally.runs++
      tally.ops += processed
      tally.failed += opEntries.filter((e) => !e.ack.success).length
      tally.inputSwitches += opEntries.filter((e) => e.changes.some((c) => c.key.startsWith('.sys/inputs/'))).length
      tally.sourceSwitches += opEntries.filter((e) => e.changes.some((c) => c.key === '.sys/contract/source')).length
    }
    if (monitor) {
      const report = await caughtUp(monitor, length)
      assert.deepEqual(errors, [])
      assert.deepEqual(violations.map(describeBreach), [], 'the live monitor raised a false breach')
      assert.equal(report.valid, true, report.breach ? describeBreach(report.breach) : '')
      assert.equal(report.verified, length)
      assert.ok(verifiedEvents > 0, 'the live monitor reported progress')
    }
    const viaDb = await db.verify()
    assert.equal(viaDb.breach, null, viaDb.breach ? describeBreach(viaDb.breach) : '')
    assert.equal(viaDb.valid, true)
    assert.equal(viaDb.verified, length)
    assert.equal(viaDb.ops, processed)
    await db.close()
    db = null
    const fresh = await verifyDirectory(dir)
    assert.equal(fresh.breach, null, fresh.breach ? describeBreach(fresh.breach) : '')
    assert.deepEqual({ valid: fresh.valid, verified: fresh.verified, length: fresh.length }, { valid: true, verified: length, length })
  } finally {
    await db?.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * `npm test` runs a quarter of each workload's runs, from a fixed seed: quick, and the same every
 * time. test/long/honest-workloads.test.ts sets FC_SCALE=1 and runs them all from new seeds.
 * FC_SEED and FC_PATH (from a failure report) replay one counterexample; FC_SCALE multiplies the runs.
 */
const QUICK = { scale: 0.25, seed: 20261205 }
const SCALE = Number(process.env.FC_SCALE ?? QUICK.scale)

function replaying(): { seed?: number; path?: string } {
  const seed = process.env.FC_SEED
  if (seed === undefined) return process.env.FC_SCALE === undefined ? { seed: QUICK.seed } : {}
  return { seed: Number(seed), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) }
}

async function check(t: TestContext, w: Workload): Promise<Tally> {
  const tally: Tally = { runs: 0, ops: 0, failed: 0, inputSwitches: 0, sourceSwitches: 0 }
  await fc.assert(
    fc.asyncProperty(fc.array(w.action, { minLength: Math.ceil(w.maxActions / 2), maxLength: w.maxActions }), fc.boolean(), (actions, live) => runHonest(w, actions, live, undefined, tally)),
    { numRuns: Math.ceil(w.numRuns * SCALE), includeErrorInReport: true, ...replaying() },
  )
  t.diagnostic(JSON.stringify(tally))
  assert.ok(tally.ops > tally.failed && tally.failed > 0, 'the workloads had ops accepted and ops rejected')
  return tally
}

const call = (method: string, params: fc.Arbitrary<Json>, as: fc.Arbitrary<string>): fc.Arbitrary<Action> =>
  fc.record({ kind: fc.constant('call' as const), method: fc.constant(method), params, as })

const raw = (as: fc.Arbitrary<string>, ops: fc.Arbitrary<Json>[] = []): fc.Arbitrary<Action> =>
  fc.record({
    kind: fc.constant('raw' as const),
    as,
    block: fc.oneof(fc.constantFrom<RawBlock>('garbage', 'bytes', 'oversize', 'deep', 'nested'), ...ops.map((op) => op.map((o): RawBlock => ({ op: o })))),
  })

const settle: fc.Arbitrary<Action> = fc.constant({ kind: 'settle' })
const tick = (max: number): fc.Arbitrary<Action> => fc.integer({ min: 0, max }).map((ms) => ({ kind: 'tick', ms }))
const smallJson: fc.Arbitrary<Json> = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 6 }), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }))

async function exampleWorkload(name: ExampleName): Promise<Workload> {
  const contract = await example(name)
  const trio = fc.constantFrom('alice', 'bob', 'carol')
  switch (name) {
    case 'counter':
      return {
        contract,
        inputs: ['alice', 'bob', 'carol'],
        action: fc.oneof(
          { weight: 5, arbitrary: call('increment', fc.record({ by: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom<Json>(0, -1, 1.5, '3', null) }) }), trio) },
          { weight: 1, arbitrary: raw(trio, [fc.record({ op: fc.constant('INCREMENT'), by: smallJson })]) },
          { weight: 1, arbitrary: settle },
        ),
        maxActions: 14,
        numRuns: 10,
      }
    case 'kv-store': {
      const anyone = fc.constantFrom('alice', 'bob', 'carol', 'dave')
      const who = fc.constantFrom('@bob', '@carol', '@dave', '@alice', 'not-a-key')
      const key = fc.constantFrom('a', 'b', 'c', '', 'x'.repeat(600))
      return {
        contract,
        inputs: ['alice', 'bob', 'carol'],
        outsiders: ['dave'],
        // The admin adds dave and removes bob, who keeps writing; whether bob is added back is random.
        prefix: [
          { kind: 'call', method: 'claimAdmin', params: {}, as: 'alice' },
          { kind: 'call', method: 'addParticipant', params: { pubkey: '@dave' }, as: 'alice' },
          { kind: 'call', method: 'put', params: { key: 'd', value: 'from dave' }, as: 'dave' },
          { kind: 'settle' },
          { kind: 'call', method: 'removeParticipant', params: { pubkey: '@bob' }, as: 'alice' },
          { kind: 'settle' },
          { kind: 'raw', as: 'bob', block: { op: { op: 'PUT', key: 'b', value: 'while removed' } } },
        ],
        action: fc.oneof(
          { weight: 4, arbitrary: call('put', fc.record({ key, value: smallJson }), anyone) },
          { weight: 2, arbitrary: call('delete', fc.record({ key }), anyone) },
          { weight: 2, arbitrary: call('addParticipant', fc.record({ pubkey: who }), fc.constantFrom('alice', 'alice', 'bob')) },
          { weight: 2, arbitrary: call('removeParticipant', fc.record({ pubkey: who }), fc.constantFrom('alice', 'alice', 'carol')) },
          { weight: 1, arbitrary: call('claimAdmin', fc.constant({}), anyone) },
          // Removed or never-added oplogs keep writing; their ops wait for the oplog to be added (again).
          { weight: 2, arbitrary: raw(anyone, [fc.record({ op: fc.constant('PUT'), key, value: smallJson })]) },
          { weight: 1, arbitrary: settle },
        ),
        maxActions: 16,
        numRuns: 12,
      }
    }
    case 'simple-registry':
      return {
        contract,
        inputs: ['alice', 'bob'],
        action: fc.oneof(
          call('put', fc.record({ username: fc.constantFrom('ann', 'bo.b', 'c-3', 'Bad Name', '-x'), publicKey: fc.constantFrom('k1', 'k2', 'k3', '', 'x'.repeat(1100)) }), fc.constantFrom('alice', 'bob')),
          raw(fc.constantFrom('alice', 'bob')),
          settle,
        ),
        maxActions: 10,
        numRuns: 6,
      }
    case 'multisig-registry': {
      const user = fc.constantFrom('ann', 'bob', 'ann', 'No Such')
      const pk = fc.constantFrom('k1', 'k2', 'k1', '')
      return {
        contract,
        inputs: ['alice', 'bob', 'carol'],
        action: fc.oneof(
          { weight: 2, arbitrary: call('put', fc.record({ username: user, publicKey: pk }), trio) },
          { weight: 3, arbitrary: call('verify', fc.record({ username: user, publicKey: pk }), trio) },
          { weight: 1, arbitrary: settle },
        ),
        maxActions: 14,
        numRuns: 10,
      }
    }
    case 'governed-fileset': {
      const id = fc.constantFrom('p1', 'p2', 'p3', 'bad id!')
      const files = fc.dictionary(fc.constantFrom('a.txt', 'dir/b.md', 'dir/c', 'c', 'a.txt', '../up'), fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null)), { minKeys: 1, maxKeys: 3 })
      return {
        contract,
        inputs: ['alice', 'bob', 'carol'],
        action: fc.oneof(
          { weight: 2, arbitrary: call('proposeCommit', fc.record({ proposalId: id, files }), trio) },
          { weight: 3, arbitrary: call('acceptCommit', fc.record({ proposalId: id }), trio) },
          { weight: 1, arbitrary: call('rejectCommit', fc.record({ proposalId: id }), trio) },
          { weight: 1, arbitrary: settle },
        ),
        maxActions: 14,
        numRuns: 10,
      }
    }
    case 'website-capture': {
      const url = fc.constantFrom('https://a.example/', 'https://b.example/x?y=1', '')
      return {
        contract,
        inputs: ['alice', 'bob'],
        prefix: [{ kind: 'call', method: 'config', params: { interval: 1000, agreementWindow: 5000 }, as: 'alice' }],
        action: fc.oneof(
          { weight: 1, arbitrary: call('config', fc.record({ interval: fc.constantFrom(0, 500, 1000), agreementWindow: fc.constantFrom(-1, 5000) }), fc.constantFrom('alice', 'bob')) },
          {
            weight: 4,
            // The timestamp is relative to the clock at the start; the executor's clock moves on with ticks.
            arbitrary: call('put', fc.record({ url, timestamp: fc.integer({ min: -2000, max: 40_000 }).map((d) => T0 + d), responseData: fc.string({ maxLength: 8 }) }), fc.constantFrom('alice', 'bob')),
          },
          { weight: 3, arbitrary: tick(3000) },
          { weight: 1, arbitrary: settle },
        ),
        maxActions: 16,
        numRuns: 10,
      }
    }
    case 'membership-voting': {
      const anyone = fc.constantFrom('alice', 'bob', 'carol', 'dave')
      return {
        contract,
        inputs: ['alice', 'bob', 'carol'],
        outsiders: ['dave'],
        // Dave is voted in; later proposals may vote anyone in or out.
        prefix: [
          { kind: 'call', method: 'propose', params: { action: 'add', pubkey: '@dave' }, as: 'alice' },
          { kind: 'settle' },
          { kind: 'call', method: 'vote', params: { id: '#0', approve: true }, as: 'bob' },
          { kind: 'settle' },
          // Then carol is voted out; whatever she writes afterwards waits unless she is voted back in.
          { kind: 'call', method: 'propose', params: { action: 'remove', pubkey: '@carol' }, as: 'alice' },
          { kind: 'settle' },
          { kind: 'call', method: 'vote', params: { id: '#1', approve: true }, as: 'bob' },
          { kind: 'call', method: 'vote', params: { id: '#1', approve: true }, as: 'dave' },
          { kind: 'settle' },
          { kind: 'raw', as: 'carol', block: { op: { op: 'VOTE', id: 'x', approve: true } } },
        ],
        action: fc.oneof(
          { weight: 2, arbitrary: call('propose', fc.record({ action: fc.constantFrom('add', 'remove', 'kick'), pubkey: fc.constantFrom('@dave', '@carol', '@bob', '@alice') }), anyone) },
          { weight: 5, arbitrary: call('vote', fc.record({ id: fc.nat(5).map((i) => `#${i}`), approve: fc.boolean() }), anyone) },
          { weight: 1, arbitrary: raw(anyone, [fc.record({ op: fc.constant('VOTE'), id: fc.constant('x'), approve: fc.boolean() })]) },
          { weight: 1, arbitrary: settle },
        ),
        maxActions: 18,
        numRuns: 12,
      }
    }
  }
}

for (const name of ['counter', 'kv-store', 'simple-registry', 'multisig-registry', 'governed-fileset', 'website-capture', 'membership-voting'] as const) {
  test(`no false breach: random honest workloads on examples/${name}.js`, async (t) => {
    const tally = await check(t, await exampleWorkload(name))
    if (name === 'kv-store' || name === 'membership-voting') assert.ok(tally.inputSwitches >= 2 * tally.runs, 'every run added and removed inputs')
  })
}

/**
 * A contract that replaces itself: `upgrade` installs the code it is given (the next version of
 * this contract, a broken one, or another contract altogether). Its ops also run into the limits:
 * `spin` loops until gas runs out, `bomb` allocates until memory runs out, `dive` recurses until the
 * stack runs out; `process()` fails for one op and otherwise feeds apply its metadata.
 */
function upgradable(version: number): string {
  return `
import assert from 'assert'
import { index } from 'contract'
const VERSION = ${version}
export function set({ key, value }, emit) { emit({ op: 'SET', key, value }) }
export function upgrade({ code }, emit) { emit({ op: 'UPGRADE', code }) }
export function spin(_p, emit) { emit({ op: 'SPIN' }) }
export function bomb(_p, emit) { emit({ op: 'BOMB' }) }
export function dive(_p, emit) { emit({ op: 'DIVE' }) }
export function refuse(_p, emit) { emit({ op: 'REFUSE' }) }
export async function version() { const e = await index.get('/version'); return e ? e.value : null }
export function process(op) {
  if (op.op === 'REFUSE') throw new Error('process() will not look at this op')
  return { seen: op.op, by: VERSION }
}
function down(n) { return n <= 0 ? 0 : 1 + down(n - 1) }
export const apply = {
  SET(tx, op, ack) {
    assert(typeof op.key === 'string' && op.key.startsWith('/'), 'keys start with /')
    tx.put(op.key, { value: op.value, version: VERSION, meta: ack.metadata })
  },
  UPGRADE(tx, op) {
    tx.put('/version', VERSION + 1)
    tx.setContractSource({ code: op.code })
  },
  SPIN() { for (;;) {} },
  BOMB(tx) { tx.put('/bomb', 'x'.repeat(1 << 29).length) },
  DIVE() { down(1e6) },
  REFUSE(tx) { tx.put('/refused', true) },
}
`
}

test('no false breach: a contract that upgrades itself, ops that hit gas, memory and stack limits, malformed ops', async (t) => {
  const counter = await example('counter')
  const who = fc.constantFrom('alice', 'bob')
  const code = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 9 }).map(upgradable) },
    { weight: 1, arbitrary: fc.constantFrom('export const apply = {', 'export const x = 1', counter) },
  )
  const tally = await check(t, {
    contract: upgradable(1),
    prefix: [{ kind: 'call', method: 'upgrade', params: { code: upgradable(2) }, as: 'alice' }],
    inputs: ['alice', 'bob'],
    action: fc.oneof(
      { weight: 5, arbitrary: call('set', fc.record({ key: fc.constantFrom('/a', '/b', 'c'), value: smallJson }), who) },
      { weight: 3, arbitrary: call('upgrade', fc.record({ code }), who) },
      { weight: 1, arbitrary: call('refuse', fc.constant({}), who) },
      { weight: 1, arbitrary: fc.constantFrom('spin', 'bomb', 'dive').chain((m) => call(m, fc.constant({}), who)) },
      // After an upgrade to another contract, its API is gone but raw ops still reach apply.
      { weight: 2, arbitrary: raw(who, [fc.record({ op: fc.constantFrom('SET', 'INCREMENT', 'NOPE'), key: fc.constant('/r'), value: smallJson, by: fc.constant(1) })]) },
      { weight: 1, arbitrary: settle },
    ),
    maxActions: 10,
    numRuns: 8,
  })
  assert.ok(tally.sourceSwitches >= tally.runs, 'every run switched the contract source')
})

test('no false breach: a fixed run through every limit and every kind of malformed op', async () => {
  const actions: Action[] = [
    { kind: 'call', method: 'set', params: { key: '/a', value: 1 }, as: 'alice' },
    { kind: 'call', method: 'spin', params: {}, as: 'alice' },
    { kind: 'call', method: 'bomb', params: {}, as: 'bob' },
    { kind: 'call', method: 'dive', params: {}, as: 'alice' },
    { kind: 'call', method: 'refuse', params: {}, as: 'bob' },
    ...(['garbage', 'bytes', 'oversize', 'deep', 'nested'] as const).map((block): Action => ({ kind: 'raw', as: 'bob', block })),
    { kind: 'call', method: 'upgrade', params: { code: upgradable(2) }, as: 'bob' },
    { kind: 'call', method: 'set', params: { key: '/b', value: 2 }, as: 'alice' },
    { kind: 'call', method: 'upgrade', params: { code: 'export const apply = {' }, as: 'alice' },
    { kind: 'call', method: 'spin', params: {}, as: 'bob' },
  ]
  // What each op's ack says, in the order of the actions; the executor may interleave the two
  // oplogs either way, so outcomes are matched per writer, in each oplog's own order.
  const expected = [/^ok$/, /gas|interrupted/i, /memory/i, /stack/i, /^process\(\) failed: /, /malformed op/, /malformed op/, /exceeds the limit/, /malformed op: .*nest/i, /./, /^ok$/, /^ok$/, /setContractSource/, /gas|interrupted/i]
  assert.equal(expected.length, actions.length)
  const w: Workload = { contract: upgradable(1), inputs: ['alice', 'bob'], action: settle, maxActions: 0, numRuns: 0 }
  await runHonest(w, actions, true, async (db) => {
    const acks = (await db.history()).flatMap((h) => (h.log === 'index' && h.entry.type === 'op' ? [h.entry.ack] : []))
    assert.equal(acks.length, actions.length)
    for (const name of ['alice', 'bob']) {
      const mine = acks.filter((a) => a.origin === db.oplogs[name]).sort((a, b) => a.seq - b.seq)
      const wanted = expected.filter((_, i) => actions[i].kind !== 'settle' && (actions[i] as { as: string }).as === name)
      const errors = mine.map((a) => a.error ?? 'ok')
      assert.equal(errors.length, wanted.length, `${name}: one ack per op`)
      errors.forEach((e, i) => assert.match(e, wanted[i], `${name}'s op ${i}: ${e} (all: ${errors.join(' / ')})`))
    }
    assert.equal((await db.call('version', {})).response, 2)
  })
})
