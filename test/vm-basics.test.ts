import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ContractError } from '../src/errors.js'
import { ContractVM, MemoryState, type AckInput, type ApplyResult, type Json } from '../src/vm/index.js'

const ALICE = 'a'.repeat(64)
const BOB = 'b'.repeat(64)

function ack(seq = 0, metadata: Json = null): AckInput {
  return { origin: ALICE, seq, ts: Date.UTC(2024, 0, 2, 3, 4, 5), metadata }
}

function ok(result: ApplyResult): ApplyResult {
  assert.equal(result.error, null)
  assert.equal(result.success, true)
  return result
}

function failed(result: ApplyResult, pattern: RegExp): void {
  assert.equal(result.success, false, `expected failure, got changes ${JSON.stringify(result.changes)}`)
  assert.deepEqual(result.changes, [])
  assert.match(result.error ?? '', pattern)
}

const COUNTER = `
import assert from 'assert'
import { index } from 'contract'

export async function get() {
  const entry = await index.get('/count')
  return entry ? entry.value : 0
}

export function increment(params, emit) {
  emit({ op: 'INCREMENT', by: params && params.by !== undefined ? params.by : 1 })
  return 'queued'
}

export const apply = {
  async INCREMENT(tx, op) {
    assert(Number.isSafeInteger(op.by) && op.by > 0, 'by must be a positive integer')
    const entry = await tx.get('/count')
    tx.put('/count', (entry ? entry.value : 0) + op.by)
  },
  RESET(tx) {
    tx.delete('/count')
  },
}
`

describe('ContractVM basics', () => {
  it('runs a counter: apply changes state, calls read it and emit ops', async () => {
    const vm = await ContractVM.create(COUNTER)
    assert.deepEqual(vm.methods, ['get', 'increment'])
    assert.equal(vm.hasProcess, false)
    const state = new MemoryState()
    for (let i = 0; i < 3; i++) {
      const r = ok(vm.apply({ op: 'INCREMENT', by: 2 }, ack(i), state))
      assert.deepEqual(r.changes, [{ type: 'put', key: '/count', value: 2 * (i + 1) }])
      state.apply(r.changes)
    }
    const ctx = { state, isWriter: true, oplog: { pubkey: BOB, length: 3 } }
    assert.deepEqual(vm.call('get', null, ctx), { response: 6, ops: [] })
    assert.deepEqual(vm.call('increment', { by: 5 }, ctx), { response: 'queued', ops: [{ op: 'INCREMENT', by: 5 }] })
    failed(vm.apply({ op: 'INCREMENT', by: -1 }, ack(3), state), /^by must be a positive integer$/)
    assert.deepEqual(ok(vm.apply({ op: 'RESET' }, ack(4), state)).changes, [{ type: 'del', key: '/count' }])
    vm.dispose()
  })

  it('fails an op whose name has no handler in the apply object', async () => {
    const vm = await ContractVM.create(COUNTER)
    const state = new MemoryState()
    failed(vm.apply({ op: 'DECREMENT' }, ack(), state), /no handler for op "DECREMENT"/)
    failed(vm.apply({ op: 'constructor' }, ack(), state), /no handler for op "constructor"/)
    failed(vm.apply({ nope: 1 }, ack(), state), /no string field 'op'/)
    failed(vm.apply([1, 2], ack(), state), /no string field 'op'/)
    vm.dispose()
  })

  it('supports apply as a single function and passes op and ack', async () => {
    const vm = await ContractVM.create(`
      export function apply(tx, op, ack) {
        tx.put('/seen', { op, origin: ack.origin, seq: ack.seq, iso: ack.ts.toISOString(), isDate: ack.ts instanceof Date, metadata: ack.metadata })
      }
    `)
    const r = ok(vm.apply({ op: 'X', n: 1 }, ack(7, { m: true }), new MemoryState()))
    assert.deepEqual(r.changes, [
      {
        type: 'put',
        key: '/seen',
        value: { op: { op: 'X', n: 1 }, origin: ALICE, seq: 7, iso: '2024-01-02T03:04:05.000Z', isDate: true, metadata: { m: true } },
      },
    ])
    vm.dispose()
  })

  it('settles async apply after awaited reads, and fails a rejection or a promise that never settles', async () => {
    const vm = await ContractVM.create(`
      import { index } from 'contract'
      const later = (v) => new Promise((resolve) => Promise.resolve().then(() => resolve(v)))
      export const apply = {
        async COPY(tx, op) {
          const a = await index.get(op.from)
          const b = await later(a ? a.value : null)
          await null
          tx.put(op.to, b)
        },
        async REJECT() { await null; throw new Error('rejected on purpose') },
        THROW_STRING() { throw 'plain string' },
        NEVER() { return new Promise(() => {}) },
      }
    `)
    const state = new MemoryState([['/x', 'hello']])
    assert.deepEqual(ok(vm.apply({ op: 'COPY', from: '/x', to: '/y' }, ack(), state)).changes, [{ type: 'put', key: '/y', value: 'hello' }])
    failed(vm.apply({ op: 'REJECT' }, ack(), state), /^rejected on purpose$/)
    failed(vm.apply({ op: 'THROW_STRING' }, ack(), state), /^plain string$/)
    failed(vm.apply({ op: 'NEVER' }, ack(), state), /did not settle/)
    vm.dispose()
  })

  it('reads inside apply see the op own writes (overlay), and a failed op leaves nothing', async () => {
    const vm = await ContractVM.create(`
      import { index } from 'contract'
      export async function apply(tx, op) {
        const seen = []
        seen.push(tx.get('/a'))
        tx.put('/a', 2)
        seen.push((await index.get('/a')).value)
        tx.delete('/a')
        seen.push(tx.get('/a'), index.get('/a'))
        tx.put('/b', 'new')
        seen.push(index.get('/b'))
        tx.put('/result', seen)
        if (op.fail) throw new Error('boom')
      }
    `)
    const state = new MemoryState([['/a', 1]])
    const r = ok(vm.apply({}, ack(), state))
    const result = r.changes.at(-1)
    assert.deepEqual(result, { type: 'put', key: '/result', value: [{ key: '/a', value: 1 }, 2, null, null, { key: '/b', value: 'new' }] })
    assert.deepEqual(r.changes.slice(0, 3), [
      { type: 'put', key: '/a', value: 2 },
      { type: 'del', key: '/a' },
      { type: 'put', key: '/b', value: 'new' },
    ])
    failed(vm.apply({ fail: true }, ack(), state), /^boom$/)
    assert.equal(state.get('/a'), 1)
    vm.dispose()
  })

  it('lists with prefix, gt, lt, limit and reverse, merging the overlay with state', async () => {
    const vm = await ContractVM.create(`
      import { index } from 'contract'
      export function apply(tx, op) {
        for (const k of op.put || []) tx.put(k, 'new')
        for (const k of op.del || []) tx.del(k)
        const keys = (entries) => entries.map((e) => e.key + '=' + e.value)
        tx.put('/out', {
          all: keys(index.list('/p')),
          slash: keys(index.list('/p/')),
          limit2: keys(index.list('/p', { limit: 2 })),
          rev2: keys(index.list('/p', { limit: 2, reverse: true })),
          range: keys(index.list('/p', { gt: '/p/b', lt: '/p/e' })),
          none: keys(index.list('/p', { limit: 0 })),
          top: keys(index.list('')),
        })
      }
    `)
    const state = new MemoryState([
      ['/p/a', 'old'], ['/p/b', 'old'], ['/p/c', 'old'], ['/p/d', 'old'], ['/pq', 'other'], ['/p', 'bare'], ['.sys/x', 'sys'],
    ])
    const r = ok(vm.apply({ put: ['/p/bb', '/p/0'], del: ['/p/a', '/p/c'] }, ack(), state))
    const out = (r.changes.at(-1) as { value: Record<string, string[]> }).value
    assert.deepEqual(out.all, ['/p/0=new', '/p/b=old', '/p/bb=new', '/p/d=old'])
    assert.deepEqual(out.slash, out.all)
    assert.deepEqual(out.limit2, ['/p/0=new', '/p/b=old'])
    assert.deepEqual(out.rev2, ['/p/d=old', '/p/bb=new'])
    assert.deepEqual(out.range, ['/p/bb=new', '/p/d=old'])
    assert.deepEqual(out.none, [])
    assert.deepEqual(out.top, ['/p=bare', '/p/0=new', '/p/b=old', '/p/bb=new', '/p/d=old', '/pq=other'])
    vm.dispose()
  })

  it('orders listed keys by code point, not by UTF-16 unit', async () => {
    const vm = await ContractVM.create(`
      import { index } from 'contract'
      export function apply(tx) { tx.put('/k/\\u{1F600}', 1); tx.put('/out', index.list('/k').map((e) => e.key)) }
    `)
    const r = ok(vm.apply({}, ack(), new MemoryState([['/k/\uFF61', 0]])))
    assert.deepEqual(r.changes.at(-1), { type: 'put', key: '/out', value: ['/k/\uFF61', '/k/\u{1F600}'] })
    vm.dispose()
  })

  it('manages oplogs through tx and reports them with listOplogs, inside apply and in calls', async () => {
    const vm = await ContractVM.create(`
      import { listOplogs, isWriter, oplog } from 'contract'
      export function members() { return { list: listOplogs(), isWriter, oplog: oplog && { pubkey: oplog.pubkey, length: oplog.getLength() } } }
      export const apply = {
        ADD(tx, op) { tx.addOplog({ pubkey: op.pubkey }); tx.put('/seen', listOplogs()) },
        REMOVE(tx, op) { tx.removeOplog({ pubkey: op.pubkey }); tx.put('/seen', listOplogs()) },
        CONTEXT(tx) { tx.put('/ctx', { isWriter, oplog }) },
      }
    `)
    const state = new MemoryState([[`.sys/inputs/${ALICE}`, { pubkey: ALICE }]])
    const add = ok(vm.apply({ op: 'ADD', pubkey: BOB }, ack(), state))
    assert.deepEqual(add.changes, [
      { type: 'put', key: `.sys/inputs/${BOB}`, value: { pubkey: BOB } },
      { type: 'put', key: '/seen', value: [{ pubkey: ALICE }, { pubkey: BOB }] },
    ])
    state.apply(add.changes)
    const remove = ok(vm.apply({ op: 'REMOVE', pubkey: ALICE }, ack(), state))
    assert.deepEqual(remove.changes, [
      { type: 'del', key: `.sys/inputs/${ALICE}` },
      { type: 'put', key: '/seen', value: [{ pubkey: BOB }] },
    ])
    failed(vm.apply({ op: 'REMOVE', pubkey: 'c'.repeat(64) }, ack(), state), /is not an input/)
    failed(vm.apply({ op: 'ADD', pubkey: 'XYZ' }, ack(), state), /64 lowercase hex/)
    assert.deepEqual(ok(vm.apply({ op: 'CONTEXT' }, ack(), state)).changes, [{ type: 'put', key: '/ctx', value: { isWriter: false, oplog: null } }])
    const call = vm.call('members', null, { state, isWriter: true, oplog: { pubkey: BOB, length: 12 } })
    assert.deepEqual(call.response, { list: [{ pubkey: ALICE }, { pubkey: BOB }], isWriter: true, oplog: { pubkey: BOB, length: 12 } })
    const reader = vm.call('members', null, { state, isWriter: false, oplog: null })
    assert.deepEqual(reader.response, { list: [{ pubkey: ALICE }, { pubkey: BOB }], isWriter: false, oplog: null })
    vm.dispose()
  })

  it('runs process() for metadata, and lets API functions be called from apply', async () => {
    const vm = await ContractVM.create(`
      export function process(op) { return { size: JSON.stringify(op).length } }
      export async function double(params) { await null; return params.n * 2 }
      export async function apply(tx, op, ack) { tx.put('/d', await double({ n: ack.metadata.size })) }
    `)
    assert.equal(vm.hasProcess, true)
    assert.deepEqual(vm.methods, ['double'])
    const metadata = vm.process({ op: 'X' })
    assert.deepEqual(metadata, { size: 10 })
    assert.deepEqual(ok(vm.apply({ op: 'X' }, ack(0, metadata), new MemoryState())).changes, [{ type: 'put', key: '/d', value: 20 }])
    assert.deepEqual(vm.call('double', { n: 4 }, { state: new MemoryState(), isWriter: false, oplog: null }).response, 8)
    vm.dispose()
  })

  it('throws CallError with stable codes from call() and process()', async () => {
    const vm = await ContractVM.create(`
      export function process(op) { if (op.bad) throw new Error('no metadata for you') ; return null }
      export function boom() { throw new Error('call exploded') }
      export function undef() {}
      export function fn() { return () => 1 }
      export function apply() {}
    `)
    const ctx = { state: new MemoryState(), isWriter: false, oplog: null }
    assert.throws(() => vm.call('missing', null, ctx), { name: 'CallError', code: 'METHOD_NOT_FOUND' })
    assert.throws(() => vm.call('apply', null, ctx), { code: 'METHOD_NOT_FOUND' })
    assert.throws(() => vm.call('boom', null, ctx), { code: 'CALL_FAILED', message: /call exploded/ })
    assert.throws(() => vm.call('fn', null, ctx), { code: 'CALL_FAILED', message: /not JSON/ })
    assert.deepEqual(vm.call('undef', null, ctx), { response: null, ops: [] })
    assert.throws(() => vm.process({ bad: true }), { name: 'CallError', message: /no metadata for you/ })
    assert.equal(vm.process({}), null)
    vm.dispose()
  })

  it('gives genUUID to calls only', async () => {
    const vm = await ContractVM.create(`
      import { genUUID } from 'util'
      export function id() { return genUUID() }
      export function process() { return genUUID() }
      export function apply(tx) { tx.put('/id', genUUID()) }
    `)
    const ctx = { state: new MemoryState(), isWriter: false, oplog: null }
    const a = vm.call('id', null, ctx).response
    const b = vm.call('id', null, ctx).response
    assert.match(String(a), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.notEqual(a, b)
    failed(vm.apply({}, ack(), new MemoryState()), /genUUID\(\) is available only in API calls/)
    assert.throws(() => vm.process({}), { name: 'CallError', code: 'PROCESS_FAILED', message: /genUUID\(\) is available only in API calls/ })
    vm.dispose()
  })

  it('offers assert as a default, a namespace and named imports, with node semantics', async () => {
    const vm = await ContractVM.create(`
      import assert from 'assert'
      import * as ns from 'assert'
      import { ok, equal, notEqual, deepEqual, notDeepEqual, match, doesNotMatch, fail } from 'assert'
      const cases = {
        ok: () => ok(0, 'zero is falsy'),
        callable: () => assert(false),
        ns: () => ns.ok(''),
        equal: () => equal(1, 2),
        looseEqual: () => equal(1, '1'),
        notEqual: () => notEqual(1, '1'),
        deepEqual: () => deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }),
        deepEqualOk: () => deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: '2' }] }),
        notDeepEqual: () => notDeepEqual([1], [1]),
        match: () => match('abc', /x/),
        doesNotMatch: () => doesNotMatch('abc', /b/),
        fail: () => fail('custom failure'),
        failDefault: () => fail(),
        errorMessage: () => ok(false, new TypeError('my own error')),
      }
      export function apply(tx, op) {
        try { cases[op.op](); tx.put('/r', 'passed') } catch (e) { tx.put('/r', { name: e.name, code: e.code || null, message: e.message, isError: e instanceof Error }) }
      }
    `)
    const run = (name: string): Json => (ok(vm.apply({ op: name }, ack(), new MemoryState())).changes[0] as { value: Json }).value
    assert.deepEqual(run('ok'), { name: 'AssertionError', code: 'ERR_ASSERTION', message: 'zero is falsy', isError: true })
    assert.match((run('callable') as { message: string }).message, /falsy value: false/)
    assert.match((run('ns') as { message: string }).message, /falsy value: ""/)
    assert.deepEqual(run('equal'), { name: 'AssertionError', code: 'ERR_ASSERTION', message: '1 == 2', isError: true })
    assert.equal(run('looseEqual'), 'passed')
    assert.equal((run('notEqual') as { message: string }).message, '1 != "1"')
    assert.match((run('deepEqual') as { message: string }).message, /loosely deep-equal/)
    assert.equal(run('deepEqualOk'), 'passed')
    assert.match((run('notDeepEqual') as { message: string }).message, /not to be loosely deep-equal/)
    assert.match((run('match') as { message: string }).message, /did not match the regular expression \/x\//)
    assert.match((run('doesNotMatch') as { message: string }).message, /expected to not match/)
    assert.equal((run('fail') as { message: string }).message, 'custom failure')
    assert.equal((run('failDefault') as { message: string }).message, 'Failed')
    assert.deepEqual(run('errorMessage'), { name: 'TypeError', code: null, message: 'my own error', isError: true })
    vm.dispose()
  })

  it('lets Error subclasses set their own name despite the frozen prototypes', async () => {
    const vm = await ContractVM.create(`
      class RuleError extends Error { constructor(m) { super(m); this.name = 'RuleError'; this.toString = () => 'custom' } }
      export function apply(tx) {
        const e = new RuleError('x')
        const o = {}
        o.toString = () => 'mine'
        o.constructor = 'c'
        tx.put('/r', [e.name, String(e), String(o), o.constructor, Error.prototype.name])
      }
    `)
    assert.deepEqual(ok(vm.apply({}, ack(), new MemoryState())).changes[0], { type: 'put', key: '/r', value: ['RuleError', 'custom', 'mine', 'c', 'Error'] })
    vm.dispose()
  })

  it('rejects contracts that cannot load, with ContractError', async () => {
    const invalid = async (source: string, code: string, message: RegExp): Promise<void> => {
      await assert.rejects(ContractVM.create(source), (err: unknown) => {
        assert.ok(err instanceof ContractError, String(err))
        assert.equal(err.code, code)
        assert.match(err.message, message)
        return true
      })
      await assert.rejects(ContractVM.validateSource(source), ContractError)
    }
    await invalid('export function apply( {', 'CONTRACT_INVALID', /does not compile/)
    await invalid(`import fs from 'fs'\nexport function apply() {}`, 'CONTRACT_INVALID', /imports "fs", which does not exist/)
    await invalid('export function get() {}', 'CONTRACT_INVALID', /must export apply/)
    await invalid('export const apply = 5', 'CONTRACT_INVALID', /apply must be a function/)
    await invalid('export const apply = { A: 1 }', 'CONTRACT_INVALID', /apply must be a function/)
    await invalid('export function apply() {}\nexport const process = 1', 'CONTRACT_INVALID', /process must be a function/)
    await invalid('throw new Error("top-level failure")\nexport function apply() {}', 'CONTRACT_INVALID', /top-level failure/)
    await invalid('export const x = await 1\nexport function apply() {}', 'CONTRACT_INVALID', /Top-level await/)
    await invalid(`import { index } from 'contract'\nconst e = index.get('/x')\nexport function apply() {}`, 'CONTRACT_INVALID', /not available while the contract module loads/)
    await invalid('export function apply() {}\n//' + 'x'.repeat(1024 * 1024), 'CONTRACT_TOO_LARGE', /maxSourceBytes/)
    await assert.doesNotReject(ContractVM.validateSource(COUNTER))
  })
})
