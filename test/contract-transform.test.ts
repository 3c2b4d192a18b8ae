// The judge page transforms contracts with esbuild-wasm, Node with esbuild: the factory text (and
// so the gas an op meters) must be the same byte for byte, and so must the errors. Every example
// contract and the test contracts go through both.

import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import * as wasm from 'esbuild-wasm'
import { WITH_PROCESS } from './helpers/breaches.js'
import { bundleContract } from '../src/vm/bundle.js'
import { RUNTIME_ID } from '../src/vm/runtime-id.js'
import { TRANSFORM_OPTIONS } from '../src/vm/transform-options.js'
import { transformContract } from '../src/vm/transform.js'

const version = (name: string) => (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version

test('esbuild-wasm is the version of esbuild that RUNTIME_ID names', () => {
  assert.equal(version('esbuild-wasm'), version('esbuild'))
  assert.ok(RUNTIME_ID.includes(` esbuild@${version('esbuild')} `), RUNTIME_ID)
})

test('esbuild-wasm and esbuild give identical factories for the examples and test contracts', async () => {
  const sources: [string, string][] = []
  for (const name of (await readdir('examples')).filter((f) => /\.(js|ts)$/.test(f)).sort()) {
    sources.push([name, await bundleContract(`examples/${name}`)])
  }
  sources.push(['WITH_PROCESS', WITH_PROCESS], ['hostile builtins', await bundleContract('test/fixtures/hostile-builtins.ts')])
  sources.push(['modern syntax', 'export const apply = { X(tx, op) { const a = op?.v ?? 1n; class C { #p = 1; static { } } tx.put("/x", String(a)) } }\n'])
  for (const [name, source] of sources) {
    const inWasm = (await wasm.transform(source, TRANSFORM_OPTIONS)).code
    assert.equal(inWasm, transformContract(source), name)
  }
})

test('esbuild-wasm and esbuild refuse a broken contract with the same error', async () => {
  const broken = 'export const apply = { X(tx) { tx.put("/a", ) '
  const native = (() => {
    try {
      transformContract(broken)
    } catch (err) {
      return (err as { errors: unknown[] }).errors
    }
    return null
  })()
  const inWasm = await wasm.transform(broken, TRANSFORM_OPTIONS).then(
    () => null,
    (err: { errors: unknown[] }) => err.errors,
  )
  assert.notEqual(native, null)
  assert.deepEqual(inWasm, native)
})
