// Entries that stay unsealed (docs/protocol.md §5.4, "Liveness notices"): an honest executor seals
// every block in the same append as its entries, so entries with no seal after them mean an executor
// that stopped sealing, for instance right after a breach, which then has no anchor for its proof.
// The monitor says so with a `seal-overdue` notice: liveness, never fraud (valid stays true, no
// proof, exit code 0). And no proof ever vouches for an unsealed entry.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import type { OpEntry } from '../src/codec/messages.js'
import { Database } from '../src/index.js'
import { startHttpApi } from '../src/net/http/server.js'
import { proveEntry, signedSealAt } from '../src/log/sealed-entry.js'
import { signerOf } from '../src/log/seal.js'
import { checkProof } from '../src/participant/check-proof.js'
import type { Checkpoint, SealOverdueNotice } from '../src/verify/index.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { counter, opAt } from './helpers/breaches.js'
import { childEnv, CLI, glassbox } from './helpers/cli.js'
import { send1, waitForEvent, withoutExecutor } from './helpers/databases.js'
import { withDishonest, type DishonestExecutor } from './helpers/dishonest-executor.js'

/** A counter database with two increments (ops at opAt(2, 0) and opAt(2, 1)), each in a sealed block. */
const twoOps = (t: TestContext) =>
  counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', {}, 'alice', true)
  })

/** Appends an honest entry for a new op of alice's, without the seal that should follow it; returns its position. */
async function unsealedOp(x: DishonestExecutor): Promise<number> {
  const seq = await x.appendOps('alice', [{ op: { op: 'INCREMENT', by: 1 } }])
  const last = await x.lastOp()
  const count = (await x.entries()).filter((e) => e.type === 'op').length
  const entry: OpEntry = await x.opEntry('alice', seq, [{ type: 'put', key: '/count', value: count + 1 }], { ts: last.entry.ack.ts })
  return x.append(entry)
}

test('entries with no seal after them: a seal-overdue notice once the timeout passes, and still valid', async (t) => {
  const dir = await twoOps(t)
  const at = await withDishonest(dir, unsealedOp)
  // The one-shot run first sees the tail now: with the default timeout, nothing is overdue yet.
  const first = await verifyDirectory(dir)
  assert.equal(first.valid, true)
  assert.deepEqual(first.notices, [])
  const report = await verifyDirectory(dir, { sealTimeoutMs: 0, fraudProof: true })
  assert.equal(report.valid, true, 'liveness is not fraud')
  assert.equal(report.breach, null)
  assert.equal(report.fraudProof, undefined, 'no proof for a notice')
  assert.equal(report.notices.length, 1)
  const n = report.notices[0]
  assert.equal(n.kind, 'seal-overdue')
  assert.equal(n.from, at)
  assert.equal(n.length, at + 1)
  assert.match(n.message, /not sealed/)
})

test('a live monitor reports seal-overdue when entries stay unsealed, and clears it once they are sealed', async (t) => {
  const dir = await twoOps(t)
  await withDishonest(dir, async (x) => {
    const m = x.monitor({ sealTimeoutMs: 20 })
    t.after(() => m.stop())
    const violations: unknown[] = []
    m.on('violation', (v) => violations.push(v))
    const first = await m.watch()
    assert.equal(first.valid, true)
    const noticed = waitForEvent<SealOverdueNotice>(m, 'notice')
    const at = await unsealedOp(x)
    const n = await noticed
    assert.equal(n.kind, 'seal-overdue')
    assert.equal(n.from, at)
    assert.deepEqual(m.notices().map((k) => k.kind), ['seal-overdue'])
    // The executor seals at last: the notice is withdrawn.
    const root = (await x.entry(at)) as OpEntry
    const sealed = waitForEvent<{ length: number }>(m, 'verified', (e) => e.length >= at + 2)
    await x.append(x.sign({ length: at + 1, treeHash: new Uint8Array(await x.index.treeHash(at + 1)), stateRoot: root.stateRoot, positions: await x.positionsAt(at + 1), peaks: await x.peaksAt(at + 1) }))
    await sealed
    assert.deepEqual(m.notices(), [])
    assert.deepEqual(violations, [])
  })
})

test('an executor that stops sealing after a breach: the breach has no proof yet, and seal-overdue says why', async (t) => {
  const dir = await twoOps(t)
  const at = opAt(2, 1)
  // The last op entry is falsified and its seal dropped: nothing anchors a proof.
  await withDishonest(dir, async (x) => {
    await x.truncate(at)
    const honest = await x.opEntry('alice', 1, [{ type: 'put', key: '/count', value: 99 }])
    await x.append(honest)
  })
  const report = await verifyDirectory(dir, { sealTimeoutMs: 0, fraudProof: true })
  assert.equal(report.breach?.class, 'changes-mismatch')
  assert.equal(report.fraudProof?.proof, null)
  assert.match(report.fraudProof?.reason ?? '', /no validly signed seal/)
  assert.deepEqual(report.notices.map((n) => [n.kind, 'from' in n ? n.from : null]), [['seal-overdue', at]])
})

test('glassbox verify --seal-timeout: the notice is printed, the exit code stays 0', async (t) => {
  const dir = await twoOps(t)
  await withDishonest(dir, unsealedOp)
  const text = await glassbox(['verify', '--dir', dir, '--seal-timeout', '0'], path.dirname(dir))
  assert.equal(text.code, 0, text.stdout + text.stderr)
  assert.match(text.stdout, /^valid: /)
  assert.match(text.stdout, /NOTICE seal-overdue: /)
  const json = await glassbox(['verify', '--dir', dir, '--seal-timeout', '0', '--json'], path.dirname(dir))
  assert.equal(json.code, 0)
  const out = JSON.parse(json.stdout) as { valid: boolean; notices: SealOverdueNotice[] }
  assert.equal(out.valid, true)
  assert.deepEqual(out.notices.map((n) => n.kind), ['seal-overdue'])
  const bad = await glassbox(['verify', '--dir', dir, '--seal-timeout', 'soon'], path.dirname(dir))
  assert.equal(bad.code, 2)
})

test('no proof vouches for an unsealed entry', async (t) => {
  const dir = await twoOps(t)
  const at = await withDishonest(dir, unsealedOp)
  // An entry past the seal cannot be proven under it: the inclusion proof is for a longer log.
  await withDishonest(dir, async (x) => {
    const sealAt = at - 1
    const anchor = await signedSealAt(x.index, sealAt, signerOf(x.index))
    const entry = await proveEntry(x.index, at, at + 1)
    const file = { format: 'glassbox-proof/1', kind: 'receipt', key: Buffer.from(x.index.key).toString('hex'), anchor, ops: [{ op: { bytes: '', inclusion: {} }, entry, state: [] }] }
    const r = checkProof(file)
    assert.equal(r.valid, false)
  })
  // A reader with no executor to seal the tail is refused a proof rather than given one at an old seal.
  await withoutExecutor(dir, async (db) => {
    await assert.rejects(db.get('/count', { proof: true }), /does not end with a seal/)
  })
})

test('GET /v1/verification lists the seal-overdue notice beside a valid status', async (t) => {
  const dir = await twoOps(t)
  const at = await withDishonest(dir, unsealedOp)
  const db = await Database.load(dir, { execute: false })
  const monitor = await db.monitor({ sealTimeoutMs: 0 })
  const api = await startHttpApi({ db, monitor, port: 0, token: null })
  t.after(async () => {
    await api.close()
    await db.close()
  })
  const noticed = monitor.notices().length > 0 ? null : waitForEvent(monitor, 'notice')
  await noticed
  const res = await fetch(api.url + '/v1/verification')
  const status = (await res.json()) as { valid: boolean; breach: unknown; notices: SealOverdueNotice[] }
  assert.equal(status.valid, true)
  assert.equal(status.breach, null)
  assert.deepEqual(status.notices.map((n) => [n.kind, n.from, n.length]), [['seal-overdue', at, at + 1]])
  const breaches = (await (await fetch(api.url + '/v1/breaches')).json()) as { breaches: unknown[] }
  assert.deepEqual(breaches.breaches, [])
})

test('verify with a checkpoint keeps the clock of an unsealed tail across runs', async (t) => {
  const dir = await twoOps(t)
  const at = await withDishonest(dir, unsealedOp)
  const checkpointPath = path.join(dir, 'monitor.json')
  const first = await verifyDirectory(dir, { checkpointPath })
  assert.deepEqual(first.notices, [])
  const saved = JSON.parse(await readFile(checkpointPath, 'utf8')) as Checkpoint
  assert.equal(saved.unsealed?.from, at)
  // As if the first run had been an hour ago: the next run finds the tail overdue.
  await writeFile(checkpointPath, JSON.stringify({ ...saved, unsealed: { from: at, since: saved.unsealed.since - 3_600_000 } }))
  const later = await verifyDirectory(dir, { checkpointPath })
  assert.equal(later.valid, true)
  assert.deepEqual(later.notices.map((n) => [n.kind, 'from' in n ? n.from : null]), [['seal-overdue', at]])
  assert.ok(later.notices[0].waitedMs >= 3_600_000)
})

test('glassbox monitor --seal-timeout prints the notice, keeps following and exits 0 on SIGTERM', async (t) => {
  const dir = await twoOps(t)
  const at = await withDishonest(dir, unsealedOp)
  const notices = path.join(dir, 'breaches.jsonl')
  const child = spawn(process.execPath, [CLI, 'monitor', '--dir', dir, '--seal-timeout', '0', '--json'], { cwd: path.dirname(dir), env: childEnv() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let out = ''
  const noticed = new Promise<SealOverdueNotice>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith('{"notice"'))
      if (line) resolve((JSON.parse(line) as { notice: SealOverdueNotice }).notice)
    })
  })
  const n = await noticed
  assert.equal(n.kind, 'seal-overdue')
  assert.equal(n.from, at)
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
  assert.doesNotMatch(out, /breach/)
  assert.equal(existsSync(notices) ? await readFile(notices, 'utf8') : '', '', 'a notice is not a breach: the breach file stays empty')
})
