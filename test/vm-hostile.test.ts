// Contracts that try to break out, run forever, exhaust memory, or smuggle state between ops.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ContractVM, MemoryState, type ApplyResult, type Json, type Limits } from '../src/vm/index.js'

// Local time must not leak into contracts; a zone far from UTC makes any leak visible.
process.env.TZ = 'America/New_York'

const ACK = { origin: 'a'.repeat(64), seq: 0, ts: 86_400_000, metadata: null }

function failed(result: ApplyResult, pattern: RegExp): void {
  assert.equal(result.success, false, `expected failure, got changes ${JSON.stringify(result.changes)}`)
  assert.deepEqual(result.changes, [])
  assert.match(result.error ?? '', pattern)
}

function value(result: ApplyResult): Json {
  assert.equal(result.error, null)
  return (result.changes.at(-1) as { value: Json }).value
}

/** A contract whose ops are named snippets; each op stores what its snippet returned under /r. */
async function probe(snippets: Record<string, string>, prelude = '', limits?: Partial<Limits>): Promise<{ vm: ContractVM; run: (name: string) => ApplyResult }> {
  const handlers = Object.entries(snippets)
    .map(([name, body]) => `${JSON.stringify(name)}: async (tx, op) => { const r = await (async () => { ${body} })(); tx.put('/r', r === undefined ? null : r) }`)
    .join(',\n')
  const vm = await ContractVM.create(`${prelude}\nexport const apply = {\n${handlers}\n}`, { limits })
  return { vm, run: (name) => vm.apply({ op: name }, ACK, new MemoryState()) }
}

const caught = (expr: string): string => `try { ${expr}; return 'no error' } catch (e) { return String(e && e.message) }`

describe('hostile contracts', () => {
  it('stops an infinite loop with a gas error and keeps serving ops', async () => {
    const { vm, run } = await probe({
      loop: 'for (;;) {}',
      loopCatch: 'try { for (;;) {} } catch (e) { return "escaped" }',
      asyncLoop: 'await null; while (true) {}',
      jobs: 'const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {})',
      fine: 'return 42',
    })
    for (const name of ['loop', 'loopCatch', 'asyncLoop', 'jobs']) failed(run(name), /^gas limit exceeded \(2000\)$/)
    assert.equal(value(run('fine')), 42)
    vm.dispose()
  })

  it('does not let a contract catch the gas interrupt through a promise', async () => {
    const { vm, run } = await probe({
      viaPromise: 'const burn = async () => { for (;;) {} }; try { await burn() } catch (e) { tx.put("/escaped", 1) } return "escaped"',
      viaThen: 'const burn = async () => { await null; for (;;) {} }; return burn().then(() => "done", () => { tx.put("/escaped", 1); return "escaped" })',
    })
    failed(run('viaPromise'), /gas limit exceeded/)
    failed(run('viaThen'), /gas limit exceeded/)
    vm.dispose()
  })

  it('fails a memory bomb with a memory error and keeps serving ops', async () => {
    const { vm, run } = await probe({
      strings: 'const a = []; for (;;) a.push("x".repeat(1 << 20) + a.length)',
      huge: 'return "x".repeat(1 << 29).length',
      caught: 'try { const a = []; for (;;) a.push(new Array(1 << 16).fill(a.length)) } catch (e) { throw e }',
      fine: 'return "ok"',
      // Filling 64 MiB costs more than the default gas: memory must be what stops these.
    }, '', { gas: 40_000 })
    failed(run('strings'), /^memory limit exceeded \(67108864 bytes\)$/)
    failed(run('huge'), /memory limit exceeded/)
    failed(run('caught'), /memory limit exceeded/)
    assert.equal(value(run('fine')), 'ok')
    vm.dispose()
  })

  it('fails deep recursion with a stack error, without crashing the host', async () => {
    const { vm, run } = await probe({
      recurse: 'const f = (n) => f(n + 1) + 1; return f(0)',
      jsonDeep: 'let x = {}; for (let i = 0; i < 100000; i++) x = { x }; return JSON.stringify(x).length',
      parseDeep: 'return JSON.parse("[".repeat(100000) + "]".repeat(100000))',
      regexDeep: 'return new RegExp("(?:".repeat(100000) + "a" + ")".repeat(100000)).test("a")',
      flatDeep: 'let x = []; for (let i = 0; i < 100000; i++) x = [x]; return x.flat(Infinity).length',
      joinDeep: 'let x = []; for (let i = 0; i < 100000; i++) x = [x]; return String(x).length',
      proxyDeep: 'let p = {}; for (let i = 0; i < 100000; i++) p = new Proxy(p, {}); return p.x',
      shallow: 'const f = (n) => (n === 0 ? 0 : 1 + f(n - 1)); return f(100)',
    })
    for (const name of ['recurse', 'jsonDeep', 'parseDeep', 'regexDeep', 'flatDeep', 'joinDeep', 'proxyDeep']) {
      failed(run(name), /^stack limit exceeded \(32768 bytes\)$|stack overflow/)
    }
    assert.equal(value(run('shallow')), 100)
    vm.dispose()
  })

  it('offers no way to reach the host or to create code at run time', async () => {
    const { vm, run } = await probe({
      globals: 'return ["process", "require", "module", "exports", "eval", "WeakRef", "FinalizationRegistry", "setTimeout", "setInterval", "queueMicrotask", "std", "os", "fetch", "Deno", "Bun"].filter((n) => typeof globalThis[n] !== "undefined")',
      requireFs: caught('require("fs")'),
      importFs: 'try { await import("fs"); return "imported" } catch (e) { return e.message }',
      functionCtor: caught('Function("return globalThis")()'),
      ctorChain: caught('(function () {}).constructor("return 1")()'),
      arrowChain: caught('(() => 1).constructor.constructor("return 1")()'),
      asyncCtor: caught('(async function () {}).constructor("return 1")'),
      genCtor: caught('(function* () {}).constructor("yield 1")'),
      asyncGenCtor: caught('(async function* () {}).constructor("yield 1")'),
      reflectCtor: caught('Reflect.construct(Object.getPrototypeOf(function () {}).constructor, ["return 1"])'),
      evalCall: caught('eval("1 + 1")'),
      indirectEval: caught('(0, globalThis.eval)("1")'),
      instanceofStillWorks: 'return [(() => 1) instanceof Function, (async () => 1) instanceof Function]',
    })
    assert.deepEqual(value(run('globals')), [])
    assert.match(String(value(run('requireFs'))), /imports "fs", which does not exist/)
    assert.match(String(value(run('importFs'))), /imports "fs", which does not exist/)
    for (const name of ['functionCtor', 'ctorChain', 'arrowChain', 'asyncCtor', 'genCtor', 'asyncGenCtor', 'reflectCtor']) {
      assert.match(String(value(run(name))), /is not available in contracts: code cannot be created at run time/, name)
    }
    assert.match(String(value(run('evalCall'))), /'eval' is not defined/)
    assert.match(String(value(run('indirectEval'))), /not a function/)
    assert.deepEqual(value(run('instanceofStillWorks')), [true, true])
    vm.dispose()
  })

  it('starts every op with a fresh module scope', async () => {
    const vm = await ContractVM.create(`
      let n = 0
      const cache = []
      export function apply(tx) { n++; cache.push(1); tx.put('/n', [n, cache.length]) }
    `)
    const state = new MemoryState()
    for (let i = 0; i < 5; i++) assert.deepEqual(value(vm.apply({}, ACK, state)), [1, 1])
    vm.dispose()
  })

  it('freezes intrinsics and globals so that nothing leaks into the next op', async () => {
    const { vm, run } = await probe({
      arrayProto: caught('Array.prototype.x = 1'),
      objectProto: caught('Object.prototype.polluted = true'),
      defineOnProto: caught('Object.defineProperty(Object.prototype, "y", { value: 1 })'),
      replaceMethod: caught('Array.prototype.push = function () { return 0 }'),
      jsonParse: caught('JSON.parse = () => 1'),
      global: caught('globalThis.leak = 1'),
      deleteGlobal: caught('delete globalThis.Array'),
      mathRandom: caught('Math.random = () => 4'),
      hidden: caught('Object.getPrototypeOf(function* () {}).prototype.next = null'),
      iterator: caught('Object.getPrototypeOf([][Symbol.iterator]()).next = null'),
      typedArray: caught('Object.getPrototypeOf(Int8Array).prototype.at = null'),
      assertModule: caught('(async () => 0)().constructor.prototype.then = null'),
      check: 'return [typeof [].x, typeof ({}).polluted, typeof ({}).y, typeof globalThis.leak, [1].push(2), JSON.parse("3")]',
    })
    for (const name of ['arrayProto', 'objectProto', 'defineOnProto', 'replaceMethod', 'jsonParse', 'global', 'deleteGlobal', 'mathRandom', 'hidden', 'iterator', 'typedArray', 'assertModule']) {
      assert.notEqual(value(run(name)), 'no error', name)
    }
    assert.deepEqual(value(run('check')), ['undefined', 'undefined', 'undefined', 'undefined', 2, 3])
    vm.dispose()
  })

  it('does not let module objects be changed for the next op', async () => {
    const vm = await ContractVM.create(`
      import assert from 'assert'
      import * as contract from 'contract'
      import { index } from 'contract'
      export const apply = {
        TAMPER(tx) {
          const tries = [() => { assert.ok = () => {} }, () => { index.get = () => 1 }, () => { contract.index.list = null }, () => { assert.equal = null }]
          tx.put('/r', tries.map((t) => { try { t(); return 'changed' } catch (e) { return 'refused' } }))
        },
        CHECK(tx) { tx.put('/r', [typeof assert.ok, index.get('/nothing')]) },
      }
    `)
    const state = new MemoryState()
    assert.deepEqual(value(vm.apply({ op: 'TAMPER' }, ACK, state)), ['refused', 'refused', 'refused', 'refused'])
    assert.deepEqual(value(vm.apply({ op: 'CHECK' }, ACK, state)), ['function', null])
    vm.dispose()
  })

  it('refuses writes under .sys/, even when the contract catches the error', async () => {
    const { vm, run } = await probe({
      put: 'tx.put(".sys/inputs/" + "c".repeat(64), { pubkey: "c".repeat(64) })',
      del: 'tx.del(".sys/contract/source")',
      caughtPut: 'try { tx.put(".sys/acks/x", 1) } catch (e) {} return "carried on"',
      readIsFine: 'return tx.get(".sys/nothing")',
    })
    failed(run('put'), /keys under \.sys\/ belong to the system/)
    failed(run('del'), /keys under \.sys\/ belong to the system/)
    failed(run('caughtPut'), /keys under \.sys\/ belong to the system/)
    assert.equal(value(run('readIsFine')), null)
    vm.dispose()
  })

  it('has no clock and no randomness', async () => {
    const { vm, run } = await probe({
      now: caught('Date.now()'),
      newDate: caught('new Date()'),
      dateCall: caught('Date()'),
      random: caught('Math.random()'),
      fromNumber: 'return new Date(0).toISOString()',
      fromParts: 'return new Date(2020, 0, 2, 3, 4, 5).toISOString()',
      parse: 'return [Date.parse("2020-01-01T10:00"), Date.parse("2020-01-01"), Date.parse("Thu, 01 Jan 1970 00:00:00 GMT"), String(Date.parse("Jan 1 2020"))]',
      subclass: 'class D extends Date {} ; return new D(5).getTime()',
    })
    assert.match(String(value(run('now'))), /Date.now is not available in contracts/)
    assert.match(String(value(run('newDate'))), /reads the clock/)
    assert.match(String(value(run('dateCall'))), /reads the clock/)
    assert.match(String(value(run('random'))), /Math.random is not available in contracts/)
    assert.equal(value(run('fromNumber')), '1970-01-01T00:00:00.000Z')
    assert.equal(value(run('fromParts')), '2020-01-02T03:04:05.000Z')
    assert.deepEqual(value(run('parse')), [Date.UTC(2020, 0, 1, 10), Date.UTC(2020, 0, 1), 0, 'NaN'])
    assert.equal(value(run('subclass')), 5)
    vm.dispose()
  })

  it('answers every local-time question in UTC, whatever the host zone', async () => {
    const { vm, run } = await probe({
      local: 'const d = new Date(Date.UTC(2020, 6, 4, 23, 30, 15)); return [d.getHours(), d.getDate(), d.getDay(), d.getTimezoneOffset(), d.toString(), d.toDateString(), d.toTimeString(), d.toLocaleString(), d.toLocaleDateString(), d.toLocaleTimeString(), String(d)]',
      setters: 'const d = new Date(0); d.setHours(5); d.setFullYear(2001); return d.toISOString()',
    })
    assert.deepEqual(value(run('local')), [
      23, 4, 6, 0,
      'Sat Jul 04 2020 23:30:15 GMT+0000', 'Sat Jul 04 2020', '23:30:15 GMT+0000',
      '07/04/2020, 11:30:15 PM', '07/04/2020', '11:30:15 PM', 'Sat Jul 04 2020 23:30:15 GMT+0000',
    ])
    assert.equal(value(run('setters')), '2001-01-01T05:00:00.000Z')
    vm.dispose()
  })
})
