// types/contract.d.ts: a TypeScript contract type-checks with tsc against the declarations, a wrong
// use of the contract API does not, and the same .ts file runs: `glassbox init` bundles it.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { Database } from '../src/index.js'
import { glassbox } from './helpers/cli.js'

const TSC = path.resolve('node_modules/typescript/bin/tsc')
const TYPES = path.resolve('types/contract.d.ts')

interface Tsc {
  code: number | null
  output: string
}

function tsc(args: string[]): Promise<Tsc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, ...args])
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-types-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A directory as a contract author would set one up: the contract, the declarations, a tsconfig. */
async function contractProject(t: TestContext, source: string): Promise<string> {
  const dir = await tempDir(t)
  await writeFile(path.join(dir, 'contract.ts'), source)
  await copyFile(TYPES, path.join(dir, 'glassbox-contract.d.ts'))
  const compilerOptions = { target: 'ES2020', lib: ['ES2020'], module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, types: [] }
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['contract.ts', 'glassbox-contract.d.ts'] }))
  return dir
}

test('the TypeScript example contract type-checks against types/contract.d.ts', async () => {
  const r = await tsc(['-p', 'examples'])
  assert.equal(r.code, 0, r.output)
})

test('wrong uses of the contract API fail to type-check, each with its own error', async (t) => {
  const dir = await contractProject(t, `
import assert from 'assert'
import { index, genUUID, type ApplyHandlers, type Emit } from 'contract'
type Op = { op: 'SET'; key: string }
export function set(params: { key: string }, emit: Emit<Op>) { emit({ op: 'SET', name: params.key }) }
export const apply: ApplyHandlers<Op> = {
  SET(tx, op) {
    tx.put(op.key, new Date(0))
    tx.put(1, 'one')
    assert.equals(index.get(op.key), null)
  },
}
`)
  const r = await tsc(['-p', dir])
  assert.equal(r.code, 2, r.output)
  const errors = r.output.split('\n').filter((line) => / error TS\d+/.test(line)).map((line) => line.replace(/^.*?contract\.ts/, ''))
  const expected = [
    // genUUID is in 'util', not 'contract'
    /^\(3,\d+\): error TS2305: .*genUUID/,
    // the op emitted does not have the declared shape
    /^\(5,\d+\): error TS2353: .*'name'/,
    // a Date is not JSON
    /^\(8,\d+\): error TS2345: Argument of type 'Date' is not assignable to parameter of type 'Json'/,
    // keys are strings
    /^\(9,\d+\): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/,
    // assert has no `equals`
    /^\(10,\d+\): error TS2551: Property 'equals' does not exist/,
  ]
  assert.equal(errors.length, expected.length, r.output)
  expected.forEach((pattern, i) => assert.match(errors[i], pattern))
})

test('the declarations describe the modules contracts get, not Node.js: a contract cannot reach process or Buffer', async (t) => {
  const dir = await contractProject(t, `
export const apply = (tx: import('contract').Tx) => { tx.put('/x', process.pid + Buffer.byteLength('x')) }
`)
  const r = await tsc(['-p', dir])
  assert.equal(r.code, 2, r.output)
  assert.match(r.output, /Cannot find name 'process'/)
  assert.match(r.output, /Cannot find name 'Buffer'/)
})

test('glassbox init runs a .ts contract: bundled to JavaScript, its types stripped', async (t) => {
  const cwd = await tempDir(t)
  const init = await glassbox(['init', path.resolve('examples/typed-counter.ts'), '--json'], cwd)
  assert.equal(init.code, 0, init.stderr)
  assert.deepEqual(JSON.parse(init.stdout).contract.methods, ['get', 'increment', 'reset'])
  // The rest in-process: one command is enough to show the CLI's path, and each costs seconds.
  const db = await Database.load(path.join(cwd, '.glassbox'))
  t.after(() => db.close())
  const [r] = await (await db.call('increment', { by: 2 })).whenProcessed()
  assert.equal(r.success, true, r.error ?? '')
  assert.equal((await db.call('get', {})).response, 2)
  assert.doesNotMatch(db.source, /CounterOp|ApplyHandlers|: number/, 'the stored source has no TypeScript left in it')
  assert.match(db.source, /tx\.put\(COUNT/)
})
