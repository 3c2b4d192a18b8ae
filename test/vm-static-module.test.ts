// Static modules (vm/static-module.ts): a module body that runs none of the contract's code is
// evaluated once per sandbox and its top level is frozen. The rule must refuse every body that
// could keep state freezing misses, a static module's ops must come out exactly as in a fresh
// module (warm against canonical), and an op must not be able to leave anything for the next one.

import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { bundleContract } from '../src/vm/bundle.js'
import { compileContract, isStaticFactory } from '../src/vm/compile.js'
import { checkStaticModule } from '../src/vm/static-module.js'
import { prepareTransform } from '../src/vm/transform.js'
import { ContractVM, MemoryState, type ApplyResult, type Json } from '../src/vm/index.js'

const ACK = { origin: 'a'.repeat(64), seq: 0, ts: 86_400_000, metadata: null }
const EXAMPLES = new URL('../../examples/', import.meta.url)

async function isStatic(source: string): Promise<boolean> {
  await prepareTransform(source)
  return isStaticFactory(compileContract(source, 1 << 20))
}

function stored(result: ApplyResult): Json {
  assert.equal(result.error, null)
  return (result.changes.at(-1) as { value: Json }).value
}

const APPLY = `export const apply = { A(tx) { tx.put('/a', 1) } }`

describe('static modules', () => {
  it('every example contract is static', async () => {
    const files = (await readdir(EXAMPLES)).filter((f) => /\.(js|ts)$/.test(f))
    assert.ok(files.length >= 5)
    for (const file of files) {
      const path = new URL(file, EXAMPLES).pathname
      const source = file.endsWith('.ts') ? await bundleContract(path) : await readFile(path, 'utf8')
      assert.equal(await isStatic(source), true, file)
    }
  })

  it('accepts bodies that only declare functions, classes and constants made of literals', async () => {
    const bodies = [
      `const A = 1\nconst B = A * 2 + 1\nconst C = \`\${B}/x\`\nconst D = -1\nconst E = void 0`,
      `const O = { a: 1, b: [1, 'x', null, { c: true }], get g() { return 1 }, m() {}, [Symbol.iterator]() {} }`,
      `const RE = /^[a-z]+$/i\nconst MAX = Number.MAX_SAFE_INTEGER`,
      `class Base { constructor() { this.x = 1 } m() { return 1 } static s() {} }\nclass Sub extends Base { y = 2; #p = 3 }`,
      `import * as c from 'contract'\nimport assert from 'assert'\nimport { genUUID } from 'util'\nexport function f() { return [c, assert, genUUID] }`,
      `export default function main() {}\nconst helper = (x) => x + 1\nfunction* gen() { yield 1 }\nasync function af() {}`,
    ]
    for (const body of bodies) assert.equal(await isStatic(`${body}\n${APPLY}`), true, body)
  })

  it("refuses every body that runs the contract's code or could keep state freezing misses", async () => {
    const bodies = [
      `let n = 0\nexport function f() { n++ }`,
      `function helper() {}\nexport function f() { helper = null }`,
      `const o = {}\nexport function f() { ({ o } = { o: 1 }) }`,
      `let n\nexport function f() { for (n of [1]) ; }`,
      `const m = new Map()`,
      `const x = [1].map((v) => v)`,
      `const counter = (() => { let n = 0; return () => n++ })()`,
      `const RE = /a/g`,
      `const Y = /a/y`,
      `const A = { a: 1 }\nconst B = { ...A }`,
      `const A = [1]\nconst B = [...A]`,
      `class C { static n = 0 }`,
      `class C { static #n = 0 }`,
      `class C { static { } }`,
      `class C extends (class {}) {}`,
      `const f = () => arguments`,
      `const A = { get b() { return 1 } }\nconst B = A.b`,
      `const A = { valueOf() { return 1 } }\nconst B = A + 1`,
      `const A = { toString() { return 'k' } }\nconst B = \`\${A}\``,
      `const A = { toString() { return 'k' } }\nconst B = { [A]: 1 }`,
      `const A = { a: 1 }\nconst { a } = A`,
      `if (true) {}`,
      `console.log(1)`,
      `for (;;) break`,
      `{ const inner = 1 }`,
      `export * from 'contract'`,
      `export function f() { return module }\nmodule.extra = 1`,
    ]
    for (const body of bodies) assert.equal(await isStatic(`${body}\n${APPLY}`), false, body)
  })

  it('says why a module is not static, and a static one has no reason', async () => {
    const cases: [string, RegExp][] = [
      [`const m = new Map()`, /^`const m = new Map\(\);` runs code or keeps state at load$/],
      [`let n = 0\nexport function f() { n++ }`, /^the top-level name n is assigned$/],
      [`const f = () => arguments`, /^it uses arguments$/],
    ]
    for (const [body, reason] of cases) {
      const vm = await ContractVM.create(`${body}\n${APPLY}`)
      assert.match(vm.notStatic ?? 'static', reason, body)
      vm.dispose()
    }
    const vm = await ContractVM.create(APPLY)
    assert.equal(vm.notStatic, null)
    vm.dispose()
  })

  it('bounds how deep it reads before parsing, so that no stack decides which kind a module is', () => {
    const nested = (depth: number) => `function f() { return ${'['.repeat(depth)}${']'.repeat(depth)} }`
    assert.deepEqual(checkStaticModule(nested(100)), { names: ['f'] })
    // Deeper than the bound but well within any stack: refused by the count, the same everywhere.
    assert.deepEqual(checkStaticModule(nested(300)), { notStatic: 'it nests deeper than 256 tokens, past what the check reads' })
    // Far past any stack (a recursive parser would overflow): the same answer, and no exception.
    assert.deepEqual(checkStaticModule(nested(1_000_000)), { notStatic: 'it nests deeper than 256 tokens, past what the check reads' })
    const chain = `function f(a) { return ${'a + '.repeat(200_000)}a }`
    assert.match((checkStaticModule(chain) as { notStatic: string }).notStatic, /nests deeper than 256/)
  })

  // One op that tries, every way it can, to change what the module holds; each attempt reports how
  // it went and what it then sees. Frozen, every attempt fails the same way in every run.
  const PROBE = `
    import * as contract from 'contract'
    import assert from 'assert'
    const LIST = [1, 2]
    const OBJ = { n: 1, inner: { n: 1 } }
    const RE = /^[a-z]+$/
    function helper() { return 1 }
    class Thing { m() { return 1 } }
    const attempts = {
      objectProperty: () => { OBJ.n++ },
      nestedProperty: () => { OBJ.inner.n++ },
      newProperty: () => { OBJ.added = 1 },
      deleteProperty: () => { delete OBJ.n },
      arrayPush: () => { LIST.push(3) },
      arraySort: () => { LIST.sort((a, b) => b - a) },
      functionProperty: () => { helper.calls = 1 },
      functionPrototype: () => { helper.prototype.extra = 1 },
      classMethod: () => { Thing.prototype.m = () => 2 },
      defineOnFunction: () => { Object.defineProperty(helper, 'extra', { value: 1 }) },
      setPrototype: () => { Object.setPrototypeOf(OBJ, null) },
      regexpLastIndex: () => { RE.lastIndex = 5 },
      regexpCompile: () => { RE.compile('x') },
      namespace: () => { contract.extra = 1 },
      importedDefault: () => { assert.extra = 1 },
      handlerThis: null,
    }
    function seen() {
      return [OBJ.n, OBJ.inner.n, 'added' in OBJ, LIST.join(','), helper.calls ?? null, helper.prototype.extra ?? null,
        new Thing().m(), Object.getPrototypeOf(OBJ) === null, RE.lastIndex, RE.source, contract.extra ?? null, assert.extra ?? null]
    }
    export const apply = {
      PROBE(tx) {
        const outcomes = {}
        for (const name of Object.keys(attempts)) {
          if (attempts[name] === null) continue
          try { attempts[name](); outcomes[name] = 'changed' } catch (e) { outcomes[name] = e.name }
        }
        try { this.extra = 1; outcomes.handlerThis = 'changed' } catch (e) { outcomes.handlerThis = e.name }
        tx.put('/probe', { outcomes, seen: seen(), regexp: [RE.test('abc'), RE.exec('abc')[0], 'abc'.replace(RE, 'x'), 'abc'.search(RE), 'abc'.match(RE)[0], 'a,b'.split(/,/), RE.test('1'), RE.exec('1'), '1'.search(RE), '1'.replace(RE, 'x')] })
      },
    }
  `

  it('freezes what a static module holds: each attempt to change it fails the same way in the warm and the canonical run', async () => {
    assert.equal(await isStatic(PROBE), true, 'the probe is itself static, or this test proves nothing')
    const vm = await ContractVM.create(PROBE)
    const state = new MemoryState()
    const first = stored(vm.apply({ op: 'PROBE' }, ACK, state)) as { outcomes: Record<string, string>; seen: Json[]; regexp: Json[] }
    for (const [name, outcome] of Object.entries(first.outcomes)) assert.equal(outcome, 'TypeError', name)
    assert.deepEqual(first.seen, [1, 1, false, '1,2', null, null, 1, false, 0, '^[a-z]+$', null, null])
    assert.deepEqual(first.regexp, [true, 'abc', 'x', 0, 'abc', ['a', 'b'], false, null, -1, '1'], 'a frozen regexp still matches, and fails to')
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(stored(vm.apply({ op: 'PROBE' }, ACK, state)), first, `warm run ${i + 2}`)
      assert.deepEqual(stored(vm.applyFresh({ op: 'PROBE' }, ACK, state)), first, `canonical run ${i + 1}`)
    }
    vm.dispose()
  })

  it("leaves what an op makes its own: instances of a frozen class, objects it builds, values it reads", async () => {
    const source = `
      const DEFAULTS = { size: 1, tags: ['a'] }
      class Box { constructor(n) { this.n = n } twice() { return this.n * 2 } }
      export const apply = {
        MAKE(tx, op) {
          const box = new Box(op.n)
          box.extra = 'mine'
          const copy = { ...DEFAULTS, tags: [...DEFAULTS.tags, 'b'] }
          copy.size = op.n
          let overridden
          try { box.twice = () => 0; overridden = 'assigned' } catch (e) { overridden = e.name }
          tx.put('/made', [box.twice(), box.extra, copy, Object.isFrozen(box), overridden])
        },
      }
    `
    assert.equal(await isStatic(source), true)
    const vm = await ContractVM.create(source)
    const expected = [6, 'mine', { size: 3, tags: ['a', 'b'] }, false, 'TypeError']
    assert.deepEqual(stored(vm.apply({ op: 'MAKE', n: 3 }, ACK, new MemoryState())), expected)
    assert.deepEqual(stored(vm.apply({ op: 'MAKE', n: 3 }, ACK, new MemoryState())), expected)
    assert.deepEqual(stored(vm.applyFresh({ op: 'MAKE', n: 3 }, ACK, new MemoryState())), expected)
    vm.dispose()
  })

  it('leaves a module that is not static unfrozen, with a fresh scope for every op', async () => {
    const source = `
      const seen = new Map()
      const OBJ = { n: 1 }
      export const apply = { A(tx) { seen.set('k', (seen.get('k') ?? 0) + 1); OBJ.n++; tx.put('/a', [seen.get('k'), OBJ.n]) } }
    `
    assert.equal(await isStatic(source), false)
    const vm = await ContractVM.create(source)
    for (let i = 0; i < 3; i++) assert.deepEqual(stored(vm.apply({ op: 'A' }, ACK, new MemoryState())), [1, 2])
    vm.dispose()
  })

  it("charges a warm run that reuses the module the fuel its evaluation cost, so it gives up where a canonical run would run out", async () => {
    // The module's body costs most of the gas; an op that spends a little more runs out of gas in a
    // canonical run (which evaluates the body) and must not succeed in a warm one that skips it.
    const source = (n: number) => `
      const BIG = [${'0,'.repeat(n)}]
      export const apply = { SPIN(tx, op) { let s = 0; for (let i = 0; i < op.n; i++) s += i; tx.put('/s', s) } }
    `
    const probe = await ContractVM.create(source(20_000), { limits: { gas: 80_000 } })
    const body = probe.applyFresh({ op: 'SPIN', n: 0 }, ACK, new MemoryState()).gas
    const perThousand = probe.applyFresh({ op: 'SPIN', n: 1000 }, ACK, new MemoryState()).gas - body
    probe.dispose()
    assert.ok(body >= 10 && perThousand > 0, `body ${body} gas, loop ${perThousand} gas per 1000`)
    // Gas so that the body alone is 70% of it, and a loop that brings a canonical run to 110%.
    const gas = Math.ceil(body / 0.7)
    const n = Math.ceil(((1.1 * gas - body) / perThousand) * 1000)
    const vm = await ContractVM.create(source(20_000), { limits: { gas } })
    assert.equal(vm.apply({ op: 'SPIN', n: 0 }, ACK, new MemoryState()).success, true, 'the body alone fits')
    const canonical = vm.applyFresh({ op: 'SPIN', n }, ACK, new MemoryState())
    assert.equal(canonical.error, `gas limit exceeded (${gas})`)
    assert.deepEqual(vm.apply({ op: 'SPIN', n }, ACK, new MemoryState()), canonical)
    vm.dispose()
  })
})
