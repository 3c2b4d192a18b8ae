// Batch validation (docs/protocol.md §14): segments between state checkpoints validated on worker
// threads give what a full replay gives, on an honest history and on a dishonest one (the same
// breach, a fraud proof the judge accepts), refuse a checkpoint that is not its seal's state, and
// do not pass results that fail to chain.

import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { test, type TestContext } from 'node:test'
import { toHex } from '../src/codec/hash.js'
import { decodeEntry, type OpEntry } from '../src/codec/messages.js'
import { carryLie } from '../src/demo/dishonest.js'
import { Database } from '../src/index.js'
import { signerOf } from '../src/log/seal.js'
import { IndexState } from '../src/state/index-state.js'
import { checkpointsDir, listStateCheckpoints, writeStateCheckpoint } from '../src/state/checkpoint/checkpoint-files.js'
import { makeStateCheckpoint } from '../src/state/checkpoint/state-checkpoint.js'
import { checkChain, ChainError, cutSegments, SegmentError, verifyBatch } from '../src/verify/batch/index.js'
import { judge } from '../src/verify/judge.js'
import { openLogs, verifyDirectory } from '../src/verify/verify-dir.js'
import { glassbox } from './helpers/cli.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { DishonestExecutor } from './helpers/dishonest-executor.js'

/** A kv history of `n` puts, one op per block, with a state checkpoint every `every` entries (0: none). */
async function history(t: TestContext, n: number, every: number): Promise<string> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], checkpointEvery: every })
  try {
    await send1(db, 'claimAdmin', {}, 'alice', true)
    for (let i = 0; i < n; i++) await send1(db, 'put', { key: `k${i % 7}`, value: { i } }, 'alice', true)
    await db.checkpointsWritten()
  } finally {
    await db.close()
  }
  return dir
}

/** Takes the checkpoints at `lengths` again from the log as it now stands: what a dishonest executor keeps for its own log. */
async function checkpointsFromLog(dir: string, lengths: readonly number[]): Promise<void> {
  const { store, logs } = await openLogs(dir)
  try {
    const view = new IndexState()
    const want = new Set(lengths)
    for (let i = 0; i < logs.index.length; i++) {
      const entry = decodeEntry((await logs.index.get(i))!)
      view.fold(entry)
      if (entry.type === 'seal' && want.has(entry.length)) await writeStateCheckpoint(dir, makeStateCheckpoint(view, logs.index.key, signerOf(logs.index)))
    }
  } finally {
    await store.close()
  }
}

test('segments are cut at the checkpoints, each ending with the seal the next starts from', () => {
  assert.deepEqual(cutSegments([], 9), [{ index: 0, from: 0, to: 9, start: null }])
  assert.deepEqual(cutSegments([20, 10, 10], 31), [
    { index: 0, from: 0, to: 11, start: null },
    { index: 1, from: 11, to: 21, start: 10 },
    { index: 2, from: 21, to: 31, start: 20 },
  ])
  assert.deepEqual(cutSegments([10, 30], 31), [
    { index: 0, from: 0, to: 11, start: null },
    { index: 1, from: 11, to: 31, start: 10 },
  ], 'a checkpoint at the last entry opens no segment')
  assert.deepEqual(cutSegments([5], 0), [])
})

test('jobs=2 (processes or threads) gives what a full replay gives on an honest history; more jobs than segments, and no checkpoints, too', async (t) => {
  const dir = await history(t, 30, 10)
  const cps = await listStateCheckpoints(dir)
  assert.deepEqual(cps, [10, 20, 30, 40, 50, 60])
  const full = await verifyDirectory(dir, { fraudProof: true })
  assert.equal(full.valid, true)
  for (const [jobs, isolation] of [[1, 'process'], [2, 'process'], [2, 'thread'], [16, 'process']] as const) {
    const b = await verifyBatch(dir, { jobs, isolation })
    assert.equal(b.valid, true, `jobs=${jobs} (${isolation})`)
    assert.equal(b.verified, full.verified)
    assert.equal(b.length, full.length)
    assert.equal(b.stateRoot, full.stateRoot)
    assert.equal(b.ops, full.ops)
    assert.equal(b.segments.length, 7)
    assert.equal(b.segments.reduce((n, s) => n + (s.to - s.from), 0), full.length, 'the segments cover every entry once')
  }
  const bare = await history(t, 6, 0)
  const one = await verifyBatch(bare, { jobs: 2 })
  const fullBare = await verifyDirectory(bare)
  assert.equal(one.segments.length, 1, 'no checkpoints: one segment, from genesis')
  assert.equal(one.valid, true)
  assert.equal(one.stateRoot, fullBare.stateRoot)
})

test('a lie in segment 2 gives the breach and fraud proof of a full replay; the other segments pass', async (t) => {
  const dir = await history(t, 30, 10)
  // Op entries sit at odd positions from 5; position 25 is in segment 2, [21, 31).
  const x = await DishonestExecutor.open(dir)
  try {
    await carryLie(x.index, 25, (e: OpEntry) => e.changes.map((c) => (c.type === 'put' ? { ...c, value: { forged: true } } : c)))
  } finally {
    await x.close()
  }
  // The dishonest executor keeps checkpoints of its own (lying) state: they match its re-signed seals.
  await checkpointsFromLog(dir, await listStateCheckpoints(dir))
  const full = await verifyDirectory(dir, { fraudProof: true })
  assert.ok(full.breach)
  const b = await verifyBatch(dir, { jobs: 2 })
  assert.equal(b.valid, false)
  assert.ok(b.breach)
  assert.equal(b.breach.class, full.breach.class)
  assert.equal(b.breach.seq, 25)
  assert.equal(b.breach.seq, full.breach.seq)
  assert.deepEqual(b.breach, full.breach, 'the same notice, field for field')
  assert.deepEqual(b.segments.map((s) => s.valid), [true, true, false, true, true, true, true])
  assert.ok(b.fraudProof?.proof, b.fraudProof?.reason ?? undefined)
  assert.deepEqual(b.fraudProof.proof, full.fraudProof?.proof, 'the same fraud proof')
  const verdict = await judge(JSON.parse(JSON.stringify(b.fraudProof.proof)), { key: b.key })
  assert.equal(verdict.verdict, 'proven', 'reason' in verdict ? verdict.reason : '')

  // The command line: exit 1, the proof written, and `glassbox judge` accepts it.
  const run = await glassbox(['verify', '--jobs', '2', '--dir', dir, '--json'], process.cwd())
  assert.equal(run.code, 1, run.stderr)
  const out = JSON.parse(run.stdout) as { fraudProof: string; segments: unknown[] }
  assert.equal(out.segments.length, 7)
  const judged = await glassbox(['judge', out.fraudProof, '--key', b.key], process.cwd())
  assert.equal(judged.code, 0, judged.stdout + judged.stderr)
})

test('a checkpoint whose state is not the one its seal signs is refused, saying so', async (t) => {
  const dir = await history(t, 12, 10)
  const at = path.join(checkpointsDir(dir), '20')
  const chunk = (await readdir(at)).find((f) => f.startsWith('chunk-'))!
  const text = await readFile(path.join(at, chunk), 'utf8')
  assert.match(text, /"i":3/)
  await writeFile(path.join(at, chunk), text.replace('"i":3', '"i":333'))
  await assert.rejects(verifyBatch(dir, { jobs: 2 }), (err: Error) => {
    assert.ok(err instanceof SegmentError)
    assert.equal(err.segment.start, 20)
    assert.match(err.message, /state checkpoint at 20 is refused: its proof does not hold at the seal's state root/)
    return true
  })
  const run = await glassbox(['verify', '--jobs', '2', '--dir', dir], process.cwd())
  assert.equal(run.code, 2)
  assert.match(run.stderr, /checkpoint at 20 is refused/)
})

test('results that do not chain are refused: a gap, an overlap, or a segment starting at another root', async (t) => {
  const dir = await history(t, 12, 10)
  const b = await verifyBatch(dir, { jobs: 2 })
  assert.equal(b.valid, true)
  const segs = b.segments
  assert.equal(segs.length, 3)
  checkChain(segs, 0, b.length)
  const code = (fn: () => void) => {
    try {
      fn()
    } catch (err) {
      assert.ok(err instanceof ChainError)
      return err.code
    }
    return null
  }
  assert.equal(code(() => checkChain([segs[0], segs[2]], 0, b.length)), 'SEGMENT_GAP')
  assert.equal(code(() => checkChain([segs[0], { ...segs[1], from: segs[1].from - 1 }, segs[2]], 0, b.length)), 'SEGMENT_OVERLAP')
  const other = toHex(new Uint8Array(32).fill(7))
  assert.equal(code(() => checkChain([segs[0], { ...segs[1], startAt: { ...segs[1].startAt, stateRoot: other } }, segs[2]], 0, b.length)), 'SEGMENT_CHAIN')
  assert.equal(code(() => checkChain([segs[0], { ...segs[1], endAt: { ...segs[1].endAt, seal: other } }, segs[2]], 0, b.length)), 'SEGMENT_CHAIN')
  assert.equal(code(() => checkChain(segs.slice(0, 2), 0, b.length)), 'SEGMENT_GAP', 'the history is not covered to its head')
})

test('a segment worker that dies holding a segment fails the validation by name instead of hanging', { timeout: 60_000 }, async (t) => {
  const dir = await history(t, 6, 4)
  const segments = cutSegments(await listStateCheckpoints(dir), (await verifyDirectory(dir)).length)
  assert.ok(segments.length >= 2)
  // A worker killed mid-segment (out of memory, say): it exits on its first job without answering.
  const crashing = path.join(await tempDir(t), 'dies.mjs')
  await writeFile(crashing, "process.on('message', () => process.exit(137))\n")
  const { validateSegments } = await import('../src/verify/batch/segment-pool.js')
  const err = await validateSegments(dir, segments, 2, undefined, 'process', pathToFileURL(crashing)).then(
    () => assert.fail('a dead worker passed its segment'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof SegmentError, String(err))
  assert.equal(err.code, 'SEGMENT_WORKER')
  assert.match(err.message, /its worker stopped \(exit code 137\) before answering/)
})
