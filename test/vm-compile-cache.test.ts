// An executor keeps its contract's compiled form in its directory (compiled-contract.json) and the
// next open reads it instead of compiling. It must change nothing but the time: the same factory,
// the same static verdict, the same entries; a changed source, a changed byte of the file, or a
// file for another source is a miss that compiles; and a directory that only reads or verifies
// never trusts the file at all.

import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { compileContractChecked } from '../src/vm/compile.js'
import { COMPILED_CONTRACT_FILE, CompileCache } from '../src/vm/compile-cache.js'
import { DEFAULT_LIMITS } from '../src/vm/index.js'
import { verifyDirectory } from '../src/verify/index.js'
import { example, send1, tempDir } from './helpers/databases.js'

const STATIC = `export const apply = { SET(tx, op) { tx.put('/v/' + op.key, op.value) } }\nexport function get({ key }, { state }) { return state.get('/v/' + key) }`
const NOT_STATIC = `const seen = new Map()\nexport const apply = { SET(tx, op) { seen.set(op.key, 1); tx.put('/v/' + op.key, seen.size) } }`

test('the cache answers with exactly what compiling gave, and misses for another source or a changed byte', async (t) => {
  const dir = await tempDir(t)
  const cache = new CompileCache(path.join(dir, COMPILED_CONTRACT_FILE))
  assert.equal(cache.read(STATIC), null, 'no file yet')
  for (const source of [STATIC, NOT_STATIC]) {
    const compiled = compileContractChecked(source, DEFAULT_LIMITS.maxSourceBytes)
    cache.write(source, compiled)
    assert.deepEqual(cache.read(source), compiled)
    assert.equal(cache.read(source + ' '), null, 'a source one space longer')
  }
  assert.equal(cache.read(STATIC), null, 'the file holds one source: the last written')

  const file = path.join(dir, COMPILED_CONTRACT_FILE)
  const good = await readFile(file, 'utf8')
  const stored = JSON.parse(good) as { factory: string; notStatic: string | null }
  // A factory changed by hand (here: marked static, which it is not) without its checksum.
  await writeFile(file, JSON.stringify({ ...stored, notStatic: null }))
  assert.equal(cache.read(NOT_STATIC), null, 'a changed verdict')
  await writeFile(file, JSON.stringify({ ...stored, factory: stored.factory.replace('seen.size', '1') }))
  assert.equal(cache.read(NOT_STATIC), null, 'a changed factory')
  await writeFile(file, good.slice(0, good.length - 5))
  assert.equal(cache.read(NOT_STATIC), null, 'a file cut short')
  await writeFile(file, good)
  assert.deepEqual(cache.read(NOT_STATIC), compileContractChecked(NOT_STATIC, DEFAULT_LIMITS.maxSourceBytes), 'and back')
})

test("an executor's next open reads its compiled contract, and its entries are the ones compiling gives", async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  await send1(db, 'put', { key: 'a', value: 1 })
  await db.close()

  const first = await Database.load(dir)
  await send1(first, 'put', { key: 'b', value: 2 })
  assert.equal((await first.info()).contract.compiledFromCache, false, 'compiled: nothing was kept yet')
  await first.close()

  const again = await Database.load(dir)
  try {
    await send1(again, 'put', { key: 'c', value: 3 })
    const info = await again.info()
    assert.equal(info.contract.compiledFromCache, true)
    assert.equal(info.contract.notStatic, null, 'the static verdict came back with it')
    assert.deepEqual(again.list('/values/').map((e) => [e.key, e.value]), [['/values/a', 1], ['/values/b', 2], ['/values/c', 3]])
  } finally {
    await again.close()
  }
  // A replay compiles for itself: the entries written with the cached factory are the ones it gives.
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.equal(report.ops, 3)
})

test('a cache for another contract is a miss; a directory that does not execute never reads it', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  await send1(db, 'put', { key: 'a', value: 1 })
  await db.close()
  // A well-formed file, checksum and all, for another source (a contract this directory never ran).
  new CompileCache(path.join(dir, COMPILED_CONTRACT_FILE)).write(NOT_STATIC, compileContractChecked(NOT_STATIC, DEFAULT_LIMITS.maxSourceBytes))
  const executor = await Database.load(dir)
  try {
    assert.equal((await executor.info()).contract.compiledFromCache, false)
    assert.ok((await executor.methods()).includes('put'), "the kv store's own contract runs, not the file's")
  } finally {
    await executor.close()
  }
  // The executor rewrote the file for its own contract; a reader opens with it there and compiles anyway.
  const reader = await Database.load(dir, { execute: false })
  try {
    assert.equal((await reader.info()).contract.compiledFromCache, false)
  } finally {
    await reader.close()
  }
})
