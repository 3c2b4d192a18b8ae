// docs/contracts.md is run, not just read: every block marked as a contract loads in the real
// sandbox, and the `// apply … → …` and `// call … → …` lines under it are sent and checked in
// order against one state; the TypeScript block type-checks against types/contract.d.ts, the
// upgrade runs through a real database, and the test file the guide shows passes. Its command
// lines run in test/long/contracts-guide-cli.test.ts (a process per command is slow).

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { bundleContract } from '../src/vm/bundle.js'
import { ContractVM, MemoryState, type AckInput, type Json } from '../src/vm/index.js'
import { Database } from '../src/index.js'
import { guideBlocks, type Block } from './helpers/guide-blocks.js'

const ORIGINS: Record<string, string> = { alice: 'a'.repeat(64), bob: 'b'.repeat(64) }
const DEFAULT_TS = Date.UTC(2024, 0, 1)

interface Expectation {
  text: string
  kind: 'apply' | 'call' | 'load'
  method: string | null
  input: Json
  origin: string
  ts: number
  outcome: 'ok' | 'error' | 'changes' | 'result' | 'emits'
  detail: string
}

function expectations(code: string): Expectation[] {
  const out: Expectation[] = []
  for (const text of code.split('\n')) {
    const m = /^\/\/ (apply|call|load)\b(.*?) → (ok|error|changes|result|emits)(?:: (.*))?$/.exec(text)
    if (m === null) continue
    let rest = m[2].trim()
    let origin = ORIGINS.alice
    let ts = DEFAULT_TS
    for (;;) {
      const at = / at (\S+)$/.exec(rest)
      const by = / by (\w+)$/.exec(rest)
      if (at) {
        ts = Date.parse(at[1])
        assert.ok(Number.isFinite(ts), `bad time in: ${text}`)
        rest = rest.slice(0, at.index)
      } else if (by) {
        origin = ORIGINS[by[1]]
        assert.ok(origin, `unknown oplog in: ${text}`)
        rest = rest.slice(0, by.index)
      } else break
    }
    let method: string | null = null
    if (m[1] === 'call') {
      const sp = rest.indexOf(' ')
      method = rest.slice(0, sp)
      rest = rest.slice(sp + 1)
    }
    const input = m[1] === 'load' ? null : (JSON.parse(rest) as Json)
    out.push({ text, kind: m[1] as Expectation['kind'], method, input, origin, ts, outcome: m[3] as Expectation['outcome'], detail: m[4] ?? '' })
  }
  return out
}

/** Runs a contract block's expectations against one state; returns how many it checked. */
async function runBlock(source: string, where: string): Promise<number> {
  const checks = expectations(source)
  const load = checks.find((c) => c.kind === 'load')
  if (load) {
    await assert.rejects(ContractVM.create(source), (err: Error) => {
      assert.equal(err.message, load.detail, `${where}: ${load.text}`)
      return true
    })
    return 1
  }
  const vm = await ContractVM.create(source)
  try {
    const state = new MemoryState()
    const seqs = new Map<string, number>()
    for (const c of checks) {
      const what = `${where}: ${c.text}`
      if (c.kind === 'apply') {
        const seq = seqs.get(c.origin) ?? 0
        seqs.set(c.origin, seq + 1)
        const ack: AckInput = { origin: c.origin, seq, ts: c.ts, metadata: null }
        const r = vm.apply(c.input, ack, state)
        if (c.outcome === 'error') {
          assert.equal(r.success, false, `${what}: it succeeded with ${JSON.stringify(r.changes)}`)
          assert.equal(r.error, c.detail, what)
          continue
        }
        assert.equal(r.error, null, what)
        if (c.outcome === 'changes') assert.deepEqual(r.changes, JSON.parse(c.detail), what)
        else assert.equal(c.outcome, 'ok', what)
        state.apply(r.changes)
      } else {
        const ctx = { state, isWriter: true, oplog: { pubkey: c.origin, length: seqs.get(c.origin) ?? 0 } }
        if (c.outcome === 'error') {
          assert.throws(() => vm.call(c.method as string, c.input, ctx), (err: Error) => err.message === c.detail, what)
          continue
        }
        const r = vm.call(c.method as string, c.input, ctx)
        if (c.outcome === 'result') assert.deepEqual(r.response, JSON.parse(c.detail), what)
        else if (c.outcome === 'emits') assert.deepEqual(r.ops, JSON.parse(c.detail), what)
        else assert.equal(c.outcome, 'ok', what)
      }
    }
  } finally {
    vm.dispose()
  }
  return checks.length
}

async function tempDir(t: TestContext, parent = os.tmpdir()): Promise<string> {
  await mkdir(parent, { recursive: true })
  const dir = await mkdtemp(path.join(parent, 'glassbox-guide-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function runNode(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // A child of a test inherits the runner's context, which would keep its own tests from running.
    const env = { ...process.env }
    delete env.NODE_TEST_CONTEXT
    const child = spawn(process.execPath, args, { cwd, env })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

const all = await guideBlocks()
const contracts = all.filter((b) => b.tags.includes('contract'))
const named = (name: string): Block => {
  const b = contracts.find((c) => c.name === name)
  assert.ok(b, `the guide has no contract block named ${name}`)
  return b
}

test('the guide marks its contracts, and most of them say what they do', () => {
  assert.ok(contracts.length >= 15, `only ${contracts.length} contract blocks found`)
  const checked = contracts.filter((b) => expectations(b.code).length > 0)
  assert.ok(checked.length >= contracts.length - 1, 'contract blocks without expectation lines')
})

test('every JavaScript contract in the guide loads in the sandbox and does what its comments say', async () => {
  let checks = 0
  for (const b of contracts.filter((c) => c.lang === 'js')) {
    checks += await runBlock(b.code, `docs/contracts.md:${b.line}`)
  }
  assert.ok(checks >= 40, `only ${checks} expectations checked`)
})

test("the guide's TypeScript contract type-checks with types/contract.d.ts, then runs bundled", async (t) => {
  const ts = contracts.filter((b) => b.lang === 'ts')
  assert.equal(ts.length, 1)
  const dir = await tempDir(t)
  await writeFile(path.join(dir, 'counter.ts'), ts[0].code)
  await copyFile(path.resolve('types/contract.d.ts'), path.join(dir, 'contract.d.ts'))
  // The tsconfig the guide shows, with the declarations where this test keeps them.
  const shown = all.find((b) => b.lang === 'json' && b.code.includes('"types": []'))
  assert.ok(shown, 'the guide shows a tsconfig')
  const tsconfig = JSON.parse(shown.code) as { files: string[] }
  tsconfig.files = tsconfig.files.map((f) => (f.endsWith('contract.d.ts') ? 'contract.d.ts' : f))
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig))
  const tsc = await runNode([path.resolve('node_modules/typescript/bin/tsc'), '-p', dir], dir)
  assert.equal(tsc.code, 0, tsc.output)
  const bundled = await bundleContract(path.join(dir, 'counter.ts'))
  assert.ok((await runBlock(bundled + ts[0].code.split('\n').filter((l) => l.startsWith('// ')).join('\n'), 'the TypeScript block')) >= 2)
})

test("the guide's upgrade runs through a real database: v1 replaces itself with v2", async (t) => {
  const v1 = named('upgradable-v1').code
  const v2 = named('upgradable-v2').code
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: v1 })
  t.after(() => db.close())
  const processed = async (method: string, params: Json) => (await (await db.call(method, params)).whenProcessed())[0]
  assert.equal((await processed('claimAdmin', {})).success, true)
  assert.equal((await processed('set', { value: 'seven' })).success, true, 'v1 accepts any value')
  const up = await processed('upgrade', { code: v2 })
  assert.equal(up.success, true, up.error ?? '')
  assert.equal(db.source, v2)
  assert.deepEqual((await db.methods()), ['set', 'upgrade', 'version'])
  assert.equal((await db.call('version', {})).response, 2)
  const refused = await processed('set', { value: 'eight' })
  assert.equal(refused.error, 'value must be a whole number')
  assert.deepEqual(db.get('/value'), { key: '/value', value: 'seven' }, 'the state written under v1 stays')
  assert.equal((await db.verify()).valid, true)
})

test("the guide's test file passes against the guide's first contract", async (t) => {
  const testBlock = all.find((b) => b.tags.includes('test'))
  assert.ok(testBlock, 'the guide shows a test file')
  // Inside the clone, so that `import 'glassbox'` resolves to this package by its own name.
  const dir = await tempDir(t, path.resolve('tmp'))
  await writeFile(path.join(dir, 'notes.js'), contracts[0].code)
  await writeFile(path.join(dir, 'notes.test.mjs'), testBlock.code)
  const r = await runNode(['--test', 'notes.test.mjs'], dir)
  assert.equal(r.code, 0, r.output)
  assert.match(r.output, /# pass 1/)
})

