// Runtime isolation modes (seed 000): ops give the same entries in every mode; in `thread` and
// `process` mode a hostile op leaves the main thread free, a wall-clock ceiling stops the executor
// without recording anything for the op, and a runtime that dies stops it cleanly, after which a
// restart processes every op exactly once.

import { MAX_GAS } from '../src/vm/fuel/costs.js'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cp } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { toHex } from '../src/codec/hash.js'
import { decodeEntry, type OpEntry } from '../src/codec/messages.js'
import { RuntimeError } from '../src/errors.js'
import { Executor, type ExecutorOptions } from '../src/executor/executor.js'
import { RUNTIME_MODES } from '../src/executor/runtime/runtime.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { loadState } from '../src/state/store/load-state.js'
import { ContractVM, DEFAULT_LIMITS } from '../src/vm/index.js'
import type { Limits } from '../src/vm/types.js'
import { tempDir, withoutExecutor } from './helpers/databases.js'

function versioned(version: number): string {
  return `
import assert from 'assert'
import { index } from 'contract'
const VERSION = ${version}
export function set({ key, value }, emit) { emit({ op: 'SET', key, value }) }
export function del({ key }, emit) { emit({ op: 'DEL', key }) }
export function tally(_p, emit) { emit({ op: 'TALLY' }) }
export function upgrade({ code }, emit) { emit({ op: 'UPGRADE', code }) }
export function spin(_p, emit) { emit({ op: 'SPIN' }) }
export function refuse(_p, emit) { emit({ op: 'REFUSE' }) }
export function process(op) {
  if (op.op === 'REFUSE') throw new Error('process() will not look at this op')
  return { seen: op.op, by: VERSION }
}
export const apply = {
  async SET(tx, op, ack) {
    const before = await index.get(op.key)
    tx.put(op.key, { value: op.value, before: before ? before.value.value : null, version: VERSION, meta: ack.metadata, at: ack.ts })
  },
  async DEL(tx, op) {
    assert(await index.get(op.key), 'no such key ' + op.key)
    tx.delete(op.key)
  },
  async TALLY(tx) {
    const all = await index.list('/k', { limit: 50 })
    const last = await index.list('/k', { reverse: true, limit: 1 })
    tx.put('/tally', { n: all.length, keys: all.map((e) => e.key), last: last.map((e) => e.key), version: VERSION })
  },
  UPGRADE(tx, op) { tx.put('/version', VERSION + 1); tx.setContractSource({ code: op.code }) },
  SPIN() { for (;;) {} },
  REFUSE(tx) { tx.put('/refused', true) },
}
`
}

/** An executor on a database directory, as Database runs it, with a chosen runtime and VM limits. */
async function openExecutor(dir: string, key: string, opts: ExecutorOptions, limits?: Partial<Limits>, copied = false) {
  const logs = new LogStore(dir, copied ? { copied: true } : {})
  await logs.ready()
  const index = await logs.byPubkey(key)
  const { view, store } = await loadState(dir, index)
  const holder = { vm: await ContractVM.create(view.source, limits ? { limits } : {}) }
  const executor = new Executor(index, view, logs, holder, DEFAULT_LIMITS.maxOpBytes, opts)
  const errors: Error[] = []
  executor.on('error', (err: Error) => errors.push(err))
  return {
    index,
    view,
    executor,
    errors,
    async close() {
      await executor.stop()
      holder.vm.dispose()
      await store?.close()
      await logs.close()
    },
  }
}

async function indexBlocks(index: { length: number; get(i: number): Promise<Buffer | null> }): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < index.length; i++) out.push(toHex((await index.get(i)) as Buffer))
  return out
}

test('the same ops give byte-identical entries, seals and state roots in local, thread and process mode', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: versioned(1), oplogs: ['alice', 'bob'] })
  const key = db.key
  await db.close()
  await withoutExecutor(dir, async (d) => {
    const calls: [string, object, string][] = [
      ['set', { key: '/k/a', value: 1 }, 'alice'],
      ['set', { key: '/k/b', value: [1, 2, { x: -0 }] }, 'bob'],
      ['set', { key: '/k/a', value: 'again' }, 'alice'],
      ['tally', {}, 'bob'],
      ['refuse', {}, 'alice'],
      ['spin', {}, 'bob'],
      ['del', { key: '/k/b' }, 'alice'],
      ['del', { key: '/k/zz' }, 'bob'],
      ['upgrade', { code: versioned(2) }, 'alice'],
      ['set', { key: '/k/c', value: null }, 'bob'],
      ['tally', {}, 'alice'],
      ['upgrade', { code: 'export const apply = {' }, 'bob'],
      ['upgrade', { code: versioned(3) }, 'bob'],
      ['set', { key: '/k/d', value: { deep: { er: [true] } } }, 'alice'],
      ['tally', {}, 'bob'],
    ]
    for (const [method, params, as] of calls) await d.call(method, params as never, { as })
  })
  const results: { blocks: string[]; root: string }[] = []
  for (const mode of RUNTIME_MODES) {
    const copy = path.join(dir, `..`, `${path.basename(dir)}-${mode}`)
    await cp(dir, copy, { recursive: true })
    t.after(() => import('node:fs/promises').then((fs) => fs.rm(copy, { recursive: true, force: true })))
    const run = await openExecutor(copy, key, { runtime: mode, now: () => 1_700_000_000_000, blockSize: 4 }, undefined, true)
    try {
      await run.executor.start()
      await run.executor.idle()
      assert.deepEqual(run.errors, [])
      results.push({ blocks: await indexBlocks(run.index), root: toHex(run.view.state.root()) })
    } finally {
      await run.close()
    }
  }
  const ops = results[0].blocks.map((b) => decodeEntry(Buffer.from(b, 'hex'))).filter((e): e is OpEntry => e.type === 'op')
  assert.equal(ops.length, 15)
  const errors = ops.map((e) => e.ack.error ?? 'ok').join(' / ')
  assert.match(errors, /process\(\) failed/)
  assert.match(errors, /gas|interrupted/i)
  assert.match(errors, /setContractSource/)
  assert.deepEqual(results[1], results[0], 'thread mode gives what local mode gives')
  assert.deepEqual(results[2], results[0], 'process mode gives what local mode gives')
})

const HOSTILE = `
import { index } from 'contract'
export function add({ n }, emit) { emit({ op: 'ADD', n }) }
export function spin(_p, emit) { emit({ op: 'SPIN' }) }
export const apply = {
  async ADD(tx, op, ack) {
    const last = await index.get('/last/' + ack.origin)
    if (op.n !== (last ? last.value + 1 : 0)) throw new Error('out of order')
    tx.put('/last/' + ack.origin, op.n)
  },
  async SPIN() { await index.get('/started'); for (;;) {} },
}
`

/** The most gas an op may have: SPIN then runs for many seconds, well past the ceilings below. */
const HIGH_GAS: Partial<Limits> = { gas: MAX_GAS }

/** A database with ops ADD 0, ADD 1, SPIN, ADD 2 waiting in its oplog. */
async function hostileDir(t: TestContext): Promise<{ dir: string; key: string }> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: HOSTILE })
  const key = db.key
  await db.close()
  await withoutExecutor(dir, async (d) => {
    await d.call('add', { n: 0 })
    await d.call('add', { n: 1 })
    await d.call('spin', {})
    await d.call('add', { n: 2 })
  })
  return { dir, key }
}

/** Resolves when the op in flight reads `/started`: SPIN is running from then on. */
function whenSpinning(view: { state: { get(key: string): unknown } }): Promise<void> {
  return new Promise((resolve) => {
    const state = view.state
    const get = state.get.bind(state)
    state.get = (key: string) => {
      if (key === '/started') resolve()
      return get(key)
    }
  })
}

/** After a stopped run: a restart with the default gas processes every op once, in order. */
async function restartProcessesAllOnce(dir: string, key: string, lengthBefore: number): Promise<void> {
  const run = await openExecutor(dir, key, { runtime: 'local' })
  try {
    assert.equal(run.index.length, lengthBefore, 'nothing was appended for the stopped block')
    await run.executor.start()
    await run.executor.idle()
    const ops = (await indexBlocks(run.index)).map((b) => decodeEntry(Buffer.from(b, 'hex'))).filter((e): e is OpEntry => e.type === 'op')
    assert.deepEqual(ops.map((e) => e.ack.seq), [0, 1, 2, 3], 'each op acknowledged exactly once, in order')
    assert.deepEqual(ops.map((e) => e.ack.success), [true, true, false, true])
    assert.match(ops[2].ack.error ?? '', /gas|interrupted/i)
  } finally {
    await run.close()
  }
}

test('thread mode: the main thread answers requests while an op runs, and the op ceiling stops the executor recording nothing', async (t) => {
  const { dir, key } = await hostileDir(t)
  const server = http.createServer((_req, res) => res.end('alive'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const run = await openExecutor(dir, key, { runtime: 'thread', opCeilingMs: 1500 }, HIGH_GAS)
  const lengthBefore = run.index.length
  const stopped = new Promise<Error>((resolve) => run.executor.once('error', resolve))
  try {
    const spinning = whenSpinning(run.view)
    await run.executor.start()
    await spinning
    // The op is running in the worker: the main thread still answers, and so does a state read.
    assert.equal(await (await fetch(url)).text(), 'alive')
    assert.equal(run.view.state.get('/last/' + run.view.inputs()[0]), 1)
    const err = await stopped
    assert.ok(err instanceof RuntimeError, String(err))
    assert.equal(err.code, 'OP_CEILING')
    assert.match(err.message, /op 2 of oplog .* ran past the 1500 ms ceiling .*nothing was recorded/)
    assert.equal(run.index.length, lengthBefore, 'no entry of the block was appended')
    await assert.rejects(run.executor.idle(), (e: Error) => e === err)
  } finally {
    await run.close()
  }
  await restartProcessesAllOnce(dir, key, lengthBefore)
})

test('process mode: a runtime killed during an op stops the executor cleanly; a restart processes every op once', async (t) => {
  const { dir, key } = await hostileDir(t)
  const run = await openExecutor(dir, key, { runtime: 'process', opCeilingMs: 600_000 }, HIGH_GAS)
  const lengthBefore = run.index.length
  const stopped = new Promise<Error>((resolve) => run.executor.once('error', resolve))
  try {
    const spinning = whenSpinning(run.view)
    await run.executor.start()
    await spinning
    const children = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'process-entry'], { encoding: 'utf8' }).trim().split('\n')
    assert.equal(children.length, 1, `one runtime child, found ${children.join(', ')}`)
    process.kill(Number(children[0]), 'SIGKILL')
    const err = await stopped
    assert.ok(err instanceof RuntimeError, String(err))
    assert.equal(err.code, 'RUNTIME_DIED')
    assert.match(err.message, /the process runtime was killed \(SIGKILL\) while running op 2 of oplog .*nothing was recorded/)
    assert.equal(run.index.length, lengthBefore)
  } finally {
    await run.close()
  }
  await restartProcessesAllOnce(dir, key, lengthBefore)
})

test('an unknown runtime mode or a bad ceiling is a usage error that names the value', async () => {
  const dummy = { length: 0 } as never
  assert.throws(() => new Executor(dummy, dummy, dummy, dummy, 1, { runtime: 'fork' as never }), /unknown runtime mode "fork"/)
  assert.throws(() => new Executor(dummy, dummy, dummy, dummy, 1, { runtime: 'thread', opCeilingMs: 0 }), /op ceiling .* got 0/)
})
