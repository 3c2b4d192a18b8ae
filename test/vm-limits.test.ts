// Size and count limits, JSON-only values, and setContractSource validation.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { METERING_ID } from '../src/vm/fuel/costs.js'
import { ContractVM, DEFAULT_LIMITS, MAX_JSON_DEPTH, MemoryState, RUNTIME_ID, type ApplyResult } from '../src/vm/index.js'

const ACK = { origin: 'f'.repeat(64), seq: 0, ts: 0, metadata: null }

function failed(result: ApplyResult, pattern: RegExp): void {
  assert.equal(result.success, false, `expected failure, got changes ${JSON.stringify(result.changes).slice(0, 200)}`)
  assert.deepEqual(result.changes, [])
  assert.match(result.error ?? '', pattern)
}

const WRITER = `
export const apply = {
  PUT(tx, op) { tx.put(op.key, op.value) },
  MANY(tx, op) { for (let i = 0; i < op.n; i++) tx.put('/k/' + i, i) },
  BIG(tx, op) { tx.put('/big', 'x'.repeat(op.n)) },
  BAD(tx, op) {
    const values = { undef: undefined, fn: () => 1, nan: NaN, inf: Infinity, date: new Date(0), map: new Map(), sym: Symbol('s'), big: 1n, hole: [1, , 3], nested: { a: [undefined] } }
    if (op.which === 'cycle') { const o = {}; o.self = o; tx.put('/v', o) } else if (op.which === 'deep') {
      let v = 1; for (let i = 0; i < op.depth; i++) v = [v]; tx.put('/v', v)
    } else tx.put('/v', values[op.which])
  },
  CATCH(tx, op) { try { tx.put('/v', undefined) } catch (e) {} tx.put('/ok', 1) },
  SOURCE(tx, op) { tx.setContractSource({ code: op.code }) },
  SOURCE_CAUGHT(tx, op) { try { tx.setContractSource({ code: op.code }) } catch (e) {} },
  NONSTRING(tx) { tx.setContractSource({ code: 5 }) },
}
export function emitter(params, emit) { for (let i = 0; i < params.n; i++) emit({ op: 'X', pad: 'p'.repeat(params.size) }); return params.n }
export function emitBad(params, emit) { emit({ op: 'X', f: () => 1 }) }
`

describe('limits', () => {
  it('exports the runtime identity and sane default limits', () => {
    // The cost table is part of the identity: two tables disagree about which ops run out of gas.
    assert.equal(RUNTIME_ID, `glassbox-vm/4 quickjs-emscripten@0.32.0 release-sync esbuild@0.28.2 acorn@8.19.0 ${METERING_ID}`)
    assert.match(METERING_ID, /^fuel\/1 loop=\d+ call=\d+ bulk=\d+\+1\/\d+B gas=\d+ host=\d+\+\d+\/KiB$/)
    assert.deepEqual(DEFAULT_LIMITS, {
      gas: 2000,
      memoryBytes: 64 * 1024 * 1024,
      stackBytes: 32 * 1024,
      maxKeyBytes: 1024,
      maxValueBytes: 64 * 1024,
      maxOpBytes: 64 * 1024,
      maxChanges: 1024,
      maxSourceBytes: 1024 * 1024,
    })
    assert.ok(Object.isFrozen(DEFAULT_LIMITS))
  })

  it('enforces key, value, op and change-count limits with errors that name the limit', async () => {
    const vm = await ContractVM.create(WRITER)
    const state = new MemoryState()
    const run = (op: object): ApplyResult => vm.apply(op as never, ACK, state)
    assert.equal(run({ op: 'PUT', key: '/' + 'k'.repeat(1023), value: 1 }).success, true)
    failed(run({ op: 'PUT', key: '/' + 'k'.repeat(1024), value: 1 }), /key is 1025 bytes, over the 1024-byte limit \(maxKeyBytes\)/)
    failed(run({ op: 'PUT', key: '/' + 'é'.repeat(600), value: 1 }), /key is 1201 bytes.*maxKeyBytes/)
    failed(run({ op: 'PUT', key: '', value: 1 }), /key must not be empty/)
    failed(run({ op: 'PUT', key: 5, value: 1 }), /key must be a string/)
    failed(run({ op: 'BIG', n: 64 * 1024 - 2 + 1 }), /of JSON, over the 65536-byte limit \(maxValueBytes\)/)
    assert.equal(run({ op: 'BIG', n: 64 * 1024 - 2 }).success, true)
    assert.equal(run({ op: 'MANY', n: 1024 }).changes.length, 1024)
    failed(run({ op: 'MANY', n: 1025 }), /more than 1024 changes \(maxChanges\)/)
    failed(run({ op: 'PUT', key: '/x', value: 'y'.repeat(70_000) }), /the op is \d+ bytes of JSON, over the 65536-byte limit \(maxOpBytes\)/)
    vm.dispose()
  })

  it('refuses keys with lone surrogates and ops nested too deeply', async () => {
    const vm = await ContractVM.create(WRITER)
    const state = new MemoryState()
    failed(vm.apply({ op: 'PUT', key: '/\uD800', value: 1 }, ACK, state), /well-formed Unicode/)
    let deep: unknown = 1
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) deep = [deep]
    failed(vm.apply({ op: 'PUT', key: '/d', value: deep } as never, ACK, state), /nests deeper than 32 levels/)
    // Far deeper than any stack: the depth check stops at the limit, before anything recurses into it.
    for (let i = 0; i < 1_000_000; i++) deep = [deep]
    failed(vm.apply({ op: 'PUT', key: '/d', value: deep } as never, ACK, state), /nests deeper than 32 levels/)
    vm.dispose()
  })

  it('stores JSON only: undefined, functions, NaN, non-plain objects, cycles and deep nesting fail the op', async () => {
    const vm = await ContractVM.create(WRITER)
    const state = new MemoryState()
    const bad = (which: string, pattern: RegExp, extra: object = {}): void => failed(vm.apply({ op: 'BAD', which, ...extra }, ACK, state), pattern)
    bad('undef', /the value of \/v is not JSON: it is undefined/)
    bad('fn', /is not JSON: it is a function/)
    bad('nan', /is not JSON: it is NaN/)
    bad('inf', /is not JSON: it is Infinity/)
    bad('date', /is not JSON: it is a Date object/)
    bad('map', /is not JSON: it is a Map object/)
    bad('sym', /is not JSON: it is a symbol/)
    bad('big', /is not JSON: it is a bigint/)
    bad('hole', /at \[1\] it is undefined/)
    bad('nested', /at \.a\[0\] it is undefined/)
    bad('cycle', /contains a cycle/)
    bad('deep', /nests deeper than 32 levels/, { depth: MAX_JSON_DEPTH + 1 })
    assert.equal(vm.apply({ op: 'BAD', which: 'deep', depth: MAX_JSON_DEPTH }, ACK, state).success, true)
    failed(vm.apply({ op: 'CATCH' }, ACK, state), /is not JSON: it is undefined/)
    vm.dispose()
  })

  it('limits emitted ops in calls', async () => {
    const vm = await ContractVM.create(WRITER)
    const ctx = { state: new MemoryState(), isWriter: true, oplog: { pubkey: 'f'.repeat(64), length: 0 } }
    assert.equal(vm.call('emitter', { n: 3, size: 10 }, ctx).ops.length, 3)
    assert.throws(() => vm.call('emitter', { n: 1, size: 70_000 }, ctx), { name: 'CallError', code: 'LIMIT_EXCEEDED', message: /maxOpBytes/ })
    assert.throws(() => vm.call('emitter', { n: 1025, size: 1 }, ctx), { code: 'LIMIT_EXCEEDED', message: /more than 1024 ops/ })
    assert.throws(() => vm.call('emitBad', {}, ctx), { code: 'CALL_FAILED', message: /emitted op is not JSON: at \.f it is a function/ })
    vm.dispose()
  })

  it('validates a new contract source inside apply and fails the op when it cannot load', async () => {
    const vm = await ContractVM.create(WRITER)
    const state = new MemoryState()
    const good = 'export function apply(tx) { tx.put("/v2", true) }'
    assert.deepEqual(vm.apply({ op: 'SOURCE', code: good }, ACK, state).changes, [{ type: 'put', key: '.sys/contract/source', value: good }])
    failed(vm.apply({ op: 'SOURCE', code: 'export function apply( {' }, ACK, state), /setContractSource: contract source does not compile/)
    failed(vm.apply({ op: 'SOURCE', code: 'export const x = 1' }, ACK, state), /setContractSource: the contract must export apply/)
    failed(vm.apply({ op: 'SOURCE', code: 'import fs from "fs"\nexport function apply() {}' }, ACK, state), /setContractSource: .*imports "fs"/)
    failed(vm.apply({ op: 'SOURCE', code: 'for (;;) {}\nexport function apply() {}' }, ACK, state), /setContractSource: .*gas limit exceeded/)
    failed(vm.apply({ op: 'SOURCE_CAUGHT', code: 'export function apply( {' }, ACK, state), /does not compile/)
    failed(vm.apply({ op: 'SOURCE', code: 'x'.repeat(2 * 1024 * 1024) }, ACK, state), /maxOpBytes|maxSourceBytes/)
    failed(vm.apply({ op: 'NONSTRING' }, ACK, state), /setContractSource needs \{ code: string \}/)
    vm.dispose()
  })

  it('applies limits given at creation', async () => {
    const vm = await ContractVM.create(WRITER, { limits: { maxKeyBytes: 8, maxChanges: 2, gas: 5 } })
    const state = new MemoryState()
    failed(vm.apply({ op: 'PUT', key: '/123456789', value: 1 }, ACK, state), /over the 8-byte limit/)
    failed(vm.apply({ op: 'MANY', n: 3 }, ACK, state), /more than 2 changes/)
    assert.deepEqual(vm.limits, { ...DEFAULT_LIMITS, maxKeyBytes: 8, maxChanges: 2, gas: 5 })
    await assert.rejects(ContractVM.create(WRITER, { limits: { gas: 0 } }), /gas must be a positive integer/)
    vm.dispose()
  })
})
