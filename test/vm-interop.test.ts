// The guest's module interop (vm/interop.ts): the factory's copies of esbuild's helpers are taken
// out and the guest's used instead. Exports, default exports, renamed exports and imports mean what
// they meant, every run still starts from a fresh module scope, and what a contract does with the
// helpers or its import objects never reaches the next op.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileContract } from '../src/vm/compile.js'
import { INTEROP_MODULE, withGuestInterop } from '../src/vm/interop.js'
import { prepareTransform } from '../src/vm/transform.js'
import { ContractVM, MemoryState, type ApplyResult, type Json } from '../src/vm/index.js'

const ACK = { origin: 'a'.repeat(64), seq: 0, ts: 86_400_000, metadata: null }

function stored(result: ApplyResult): Json {
  assert.equal(result.error, null)
  return (result.changes.at(-1) as { value: Json }).value
}

async function factoryOf(source: string): Promise<string> {
  await prepareTransform(source)
  return compileContract(source, 1 << 20)
}

describe('module interop', () => {
  it("takes esbuild's interop helpers out of the factory, and leaves text it does not know", async () => {
    const factory = await factoryOf(`import assert from 'assert'\nexport const apply = { A (tx) { assert(true); tx.put('/a', 1) } }`)
    assert.ok(factory.includes(`require(${JSON.stringify(INTEROP_MODULE)})`))
    for (const helper of ['__export', '__toESM', '__toCommonJS', '__copyProps']) assert.ok(!factory.includes(`var ${helper} =`), `${helper} is the guest's`)
    // A helper written otherwise (another esbuild) stays where it is, and so does what it calls.
    const other = 'var __export = (target, all) => { for (var n in all) __defProp(target, n, { get: all[n] }) };\nvar contract_exports = {};\n'
    assert.equal(withGuestInterop(other), other)
    assert.equal(await factoryOf('let a = 1\na++'), '(function (require, module) {"use strict";\nlet a = 1;\na++;\n\n})', 'nothing to take out of a module without imports or exports')
    assert.equal(await factoryOf('const a = 1'), '(function (require, module) {"use strict"; /* static module */\nconst a = 1;\n\n;return [a];\n})', 'a static module also returns its values')
  })

  it('exports, default and renamed exports, and methods read as before', async () => {
    const vm = await ContractVM.create(`
      import { index } from 'contract'
      import * as util from 'util'
      function del () { return 'deleted' }
      export { del as delete }
      export default function main () { return 'default' }
      export async function read ({ key }) { return (await index.get(key))?.value ?? typeof util.genUUID }
      export let counter = 1
      export const apply = { SET (tx, op) { tx.put('/v', [op.value, counter, typeof main]) } }
    `)
    assert.deepEqual(vm.methods, ['delete', 'read'], 'functions only, default apart')
    assert.deepEqual(stored(vm.apply({ op: 'SET', value: 7 }, ACK, new MemoryState())), [7, 1, 'function'])
    assert.equal(vm.call('delete', {}, { state: new MemoryState(), isWriter: false, oplog: null }).response, 'deleted')
    assert.equal(vm.call('read', { key: '/none' }, { state: new MemoryState(), isWriter: false, oplog: null }).response, 'function')
    vm.dispose()
  })

  it("keeps each run's module scope, import objects and helpers to that run", async () => {
    const vm = await ContractVM.create(`
      import * as assertNs from 'assert'
      import { __export } from '${INTEROP_MODULE}'
      let runs = 0
      export const apply = {
        LEAK (tx) {
          runs++
          const before = [assertNs.leak ?? null, Object.isExtensible(assertNs)]
          assertNs.leak = 'from an earlier op'
          __export(assertNs, { apply: () => 'hijacked' })
          tx.put('/r', [runs, ...before])
        },
      }
    `)
    const state = new MemoryState()
    for (let i = 0; i < 3; i++) assert.deepEqual(stored(vm.apply({ op: 'LEAK' }, ACK, state)), [1, null, true])
    vm.dispose()
  })
})
