// `glassbox sandbox` as a person runs it: a fork under a changed contract, the entries that would
// differ, a fork that takes calls, and an original left byte for byte as it was.

import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { glassbox } from './helpers/cli.js'
import { Database } from '../src/database.js'
import { sandbox, type SandboxReturnType } from '../src/sandbox/index.js'

const COUNTER = `import { index } from 'contract'
export async function get () { const e = await index.get('/counter'); return e ? e.value : 0 }
export function increment (_p, emit) { emit({ op: 'INCREMENT' }) }
export const apply = { async INCREMENT (tx) { const e = await tx.get('/counter'); tx.put('/counter', (e ? e.value : 0) + 1) } }
`
const DOUBLE = COUNTER.replace('+ 1)', '+ 2)')
const CAPPED = COUNTER.replace("tx.put('/counter'", "if ((e ? e.value : 0) >= 1) throw new Error('capped at 1'); tx.put('/counter'")

/** A counter database made in-process (faster than the CLI on a loaded machine), and the contract files. */
async function made(t: TestContext, increments: number): Promise<{ cwd: string; dir: string }> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-sandbox-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  await writeFile(path.join(cwd, 'counter.js'), COUNTER)
  await writeFile(path.join(cwd, 'double.js'), DOUBLE)
  await writeFile(path.join(cwd, 'capped.js'), CAPPED)
  const dir = path.join(cwd, 'db')
  const db = await Database.create(dir, { contract: COUNTER })
  try {
    for (let i = 0; i < increments; i++) await (await db.call('increment')).whenProcessed()
  } finally {
    await db.close()
  }
  return { cwd, dir }
}

async function counterIn(dir: string): Promise<unknown> {
  const db = await Database.load(dir)
  try {
    return db.get('/counter')?.value
  } finally {
    await db.close()
  }
}

/** What `glassbox info --dir D` reports when no server runs (the same open, the same method). */
async function infoIn(dir: string): Promise<unknown> {
  const db = await Database.load(dir)
  try {
    await db.settled()
    return { ...(await db.info()), server: null }
  } finally {
    await db.close()
  }
}

/** Every file under `dir` with the SHA-256 of its bytes. */
async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const name of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, name)
    if ((await stat(file)).isFile()) out.set(name, createHash('sha256').update(await readFile(file)).digest('hex'))
  }
  return out
}

test('sandbox: reports every entry a changed contract would change, and the fork takes calls', async (t) => {
  const { cwd, dir } = await made(t, 3)
  // The original's info, as `glassbox info --json` would print it, read in this process: the
  // commands under test are the ones on the fork.
  const original = JSON.parse(JSON.stringify(await infoIn(dir)))
  const before = await hashTree(dir)
  const run = await glassbox(['sandbox', '--dir', dir, '--contract', 'double.js', '--into', 'fork', '--json'], cwd)
  assert.equal(run.code, 1, run.stderr)
  const r = JSON.parse(run.stdout)
  assert.equal(r.ops, 3)
  assert.equal(r.differing, 3)
  // Genesis is 5 entries and a seal; each call is an op entry and its seal.
  assert.equal(r.firstDiffering, 5)
  assert.deepEqual(r.differences.map((d: { position: number }) => d.position), [5, 7, 9])
  assert.deepEqual(r.differences[1].changes, { was: [{ type: 'put', key: '/counter', value: 2 }], now: [{ type: 'put', key: '/counter', value: 4 }] })
  assert.equal(r.differences[1].outcome, undefined)
  assert.deepEqual(r.differences[0].op, { op: 'INCREMENT' })

  // Its own keys, and it says what it is.
  const fork = path.join(cwd, 'fork')
  const info = JSON.parse((await glassbox(['info', '--dir', fork, '--json'], cwd)).stdout)
  assert.notEqual(info.key, original.key)
  assert.equal(info.key, r.key)
  assert.equal(info.sandbox.forkOf, original.key)
  assert.equal(info.sandbox.format, 'glassbox-sandbox/1')
  assert.match((await glassbox(['info', '--dir', fork], cwd)).stdout, new RegExp(`sandbox +yes: a fork of ${original.key}`), 'plain info says it is a sandbox')
  assert.equal(original.sandbox, null)
  assert.ok(!info.oplogs.some((o: { pubkey: string }) => original.oplogs.some((p: { pubkey: string }) => p.pubkey === o.pubkey)))
  assert.deepEqual(info.oplogs.map((o: { name: string }) => o.name), ['sandbox'])

  // The fork runs the new code on the replayed state, and is a database verify accepts.
  const called = await glassbox(['call', 'increment', '--dir', fork], cwd)
  assert.equal(called.code, 0, called.stderr)
  assert.equal(await counterIn(fork), 8)
  const verified = await glassbox(['verify', '--dir', fork], cwd)
  assert.equal(verified.code, 0, verified.stdout + verified.stderr)
  // A second sandbox into the same place does not overwrite the first.
  const again = await glassbox(['sandbox', '--dir', dir, '--contract', 'double.js', '--into', 'fork'], cwd)
  assert.equal(again.code, 2)
  assert.match(again.stderr, /^glassbox: fork already exists; remove it or name another directory with --into/)

  // The original: every file as it was, and its executor still runs.
  assert.deepEqual(await hashTree(dir), before)
  const db = await Database.load(dir)
  try {
    assert.ok(db.runtime !== null, 'the original runs its executor')
    const [op] = await (await db.call('increment')).whenProcessed()
    assert.equal(op.success, true)
    assert.equal(db.get('/counter')?.value, 4)
  } finally {
    await db.close()
  }
})

test('sandbox: a contract that throws on some entries shows them as failed; text names positions; default fork D-sandbox', async (t) => {
  const { cwd, dir } = await made(t, 3)
  const text = await glassbox(['sandbox', '--dir', 'db', '--contract', 'capped.js'], cwd)
  assert.equal(text.code, 1, text.stderr)
  assert.match(text.stdout, /^#7 op [0-9a-f]{8}…\/1 \{"op":"INCREMENT"\}\n  outcome   was ok; now failed: .*capped at 1.*\n  changes   was \[\{"type":"put","key":"\/counter","value":2\}\]\n            now \[\]\n#9 /)
  assert.match(text.stdout, /\n2 of 3 op\(s\) would differ; the first at index #7\n/)
  assert.match(text.stdout, /in .*db-sandbox\ncall it freely: glassbox call <method> --dir .*db-sandbox/)
  assert.equal(await counterIn(path.join(cwd, 'db-sandbox')), 1)

  const r = await sandbox({ dir, contract: path.join(cwd, 'capped.js'), into: path.join(cwd, 'fork') })
  assert.equal(r.differing, 2)
  assert.equal(r.firstDiffering, 7)
  for (const d of r.differences) {
    assert.deepEqual(d.outcome?.was, { success: true, error: null })
    assert.equal(d.outcome?.now.success, false)
    assert.match(d.outcome?.now.error ?? '', /capped at 1/)
    assert.deepEqual(d.changes?.now, [])
  }
})

test('sandbox: the same contract gives no differences (no false positives)', async (t) => {
  const { cwd, dir } = await made(t, 2)
  const seen: [number, number][] = []
  const r: SandboxReturnType = await sandbox({ dir, contract: path.join(cwd, 'counter.js'), into: path.join(cwd, 'fork'), onProgress: (done, total) => seen.push([done, total]) })
  assert.equal(r.ops, 2)
  assert.equal(r.differing, 0)
  assert.equal(r.firstDiffering, null)
  assert.deepEqual(r.differences, [])
  assert.equal(await counterIn(r.dir), 2)
  // Progress is reported up to the last entry, never backwards.
  assert.deepEqual(seen.at(-1), [r.original.length, r.original.length])
  assert.ok(seen.every(([d], i) => i === 0 || d > seen[i - 1][0]))
})

test('sandbox: a missing or broken contract is a clear error and creates nothing', async (t) => {
  const { cwd, dir } = await made(t, 1)
  const into = path.join(cwd, 'fork')
  const missing = await glassbox(['sandbox', '--dir', dir, '--contract', 'nope.js', '--into', into, '--json'], cwd)
  assert.equal(missing.code, 2)
  assert.equal(missing.stderr.trim(), 'glassbox: no contract file at nope.js')
  assert.equal(JSON.parse(missing.stdout).error.code, 'CONTRACT_NOT_FOUND')
  await writeFile(path.join(cwd, 'broken.js'), 'export const apply = {\n')
  await assert.rejects(sandbox({ dir, contract: path.join(cwd, 'broken.js'), into }), (err: Error & { code: string }) => {
    assert.equal(err.code, 'CONTRACT_LOAD_FAILED')
    assert.match(err.message, /^the contract .*broken\.js does not load: /)
    return true
  })
  await writeFile(path.join(cwd, 'noapply.js'), 'export function hello () { return 1 }\n')
  await assert.rejects(sandbox({ dir, contract: path.join(cwd, 'noapply.js'), into }), { code: 'CONTRACT_LOAD_FAILED' })
  await assert.rejects(stat(into), { code: 'ENOENT' })
  await assert.rejects(sandbox({ dir, contract: path.join(cwd, 'counter.js'), into: path.join(dir, 'x') }), { code: 'SANDBOX_TARGET' })
  await assert.rejects(sandbox({ dir: path.join(cwd, 'none'), contract: path.join(cwd, 'counter.js'), into }), { code: 'DATABASE_NOT_FOUND' })
  await assert.rejects(stat(into), { code: 'ENOENT' })
})

test('sandbox: usage errors, --help and the top-level help', async (t) => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-sandbox-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  const usage = await glassbox(['sandbox'], cwd)
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /missing --contract FILE/)
  const help = await glassbox(['sandbox', '--help'], cwd)
  assert.equal(help.code, 0)
  assert.match(help.stdout, /glassbox sandbox --contract FILE \[--into S\] \[--dir D\] \[--json\]/)
  assert.match(help.stdout, /--into S +where to keep the fork/)
  const top = await glassbox(['--help'], cwd)
  assert.match(top.stdout, /\n  sandbox +Fork a database under a changed contract/)
  assert.match(top.stdout, /\n  repl +Poke at a database interactively/)
})

test('sandbox: ops of an oplog the new contract never makes an input are reported as not processed', async (t) => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-sandbox-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  const kv = await readFile('examples/kv-store.js', 'utf8')
  const closed = kv.replace('async ADD_PARTICIPANT(tx, op, ack) {', "async ADD_PARTICIPANT(tx, op, ack) {\n    throw new Error('closed membership')")
  assert.notEqual(closed, kv, 'the example still has ADD_PARTICIPANT')
  await writeFile(path.join(cwd, 'closed.js'), closed)
  const dir = path.join(cwd, 'db')
  const db = await Database.create(dir, { contract: kv })
  let bob: string
  try {
    bob = await db.createOplog('bob')
    await (await db.call('claimAdmin')).whenProcessed()
    await (await db.call('addParticipant', { pubkey: bob })).whenProcessed()
    const [put] = await (await db.call('put', { key: 'k', value: 1 }, { as: 'bob' })).whenProcessed()
    assert.equal(put.success, true)
  } finally {
    await db.close()
  }
  const r = await sandbox({ dir, contract: path.join(cwd, 'closed.js'), into: path.join(cwd, 'fork') })
  assert.equal(r.ops, 3)
  assert.equal(r.differing, 2)
  assert.match(r.differences[0].outcome?.now.error ?? '', /closed membership/)
  assert.equal(r.differences[1].origin, bob)
  assert.match(r.differences[1].notProcessed ?? '', /is not an input under the new contract/)
  // The fork never took bob's op; its log still verifies.
  const fork = await Database.load(r.dir)
  try {
    assert.equal(fork.get('/values/k'), null)
    assert.equal((await fork.verify()).valid, true)
  } finally {
    await fork.close()
  }
})
