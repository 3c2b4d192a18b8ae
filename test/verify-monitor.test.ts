// Continuous monitoring and resumption: a monitor that follows a live database sees each new entry
// and a breach appended later; a monitor restarted with its checkpoint resumes where it stopped
// (and still catches what comes after); rewrites and forks are caught as they happen; a corrupt
// checkpoint is refused with a clear error.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { toHex } from '../src/codec/hash.js'
import { Database } from '../src/index.js'
import { describeBreach, Monitor, VerifyError, verifyDirectory, type BreachNotice, type Checkpoint } from '../src/verify/index.js'
import { example, honestDir, send1, tempDir, waitForEvent } from './helpers/databases.js'
import { DishonestExecutor, withDishonest } from './helpers/dishonest-executor.js'

async function liveCounter(t: TestContext): Promise<Database> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('counter'), oplogs: ['alice', 'bob'] })
  t.after(() => db.close())
  return db
}

async function counterDir(t: TestContext, increments: number): Promise<string> {
  return honestDir(t, { contract: await example('counter'), oplogs: ['alice', 'bob'] }, async (db) => {
    for (let i = 0; i < increments; i++) await send1(db, 'increment', {}, i % 2 ? 'bob' : 'alice', true)
  })
}

function record(m: Monitor): { verified: number[]; violations: BreachNotice[]; errors: Error[] } {
  const seen = { verified: [] as number[], violations: [] as BreachNotice[], errors: [] as Error[] }
  m.on('verified', (e: { length: number }) => seen.verified.push(e.length))
  m.on('violation', (n: BreachNotice) => seen.violations.push(n))
  m.on('error', (err: Error) => seen.errors.push(err))
  return seen
}

const verifiedTo = (m: Monitor, length: number) => waitForEvent<{ length: number }>(m, 'verified', (e) => e.length >= length)

/** Runs passes until the monitor has verified `length` entries (a pass under way may predate them). */
async function caughtUp(m: Monitor, length: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const report = await m.verifyToHead()
    assert.equal(report.valid, true, report.breach ? describeBreach(report.breach) : '')
    if (report.verified >= length) return
  }
  assert.fail(`the monitor did not reach length ${length}`)
}
const violation = (m: Monitor) => waitForEvent<BreachNotice>(m, 'violation')

test('a monitor following a live database verifies each new entry, then reports a breach appended later', async (t) => {
  const db = await liveCounter(t)
  const m = await db.monitor()
  const seen = record(m)
  await caughtUp(m, db.length)
  for (let i = 0; i < 5; i++) {
    // Each op's entry is verified as it is appended, without asking the monitor for a pass.
    const next = verifiedTo(m, db.length + 2)
    await send1(db, 'increment', { by: i + 1 }, i % 2 ? 'bob' : 'alice', true)
    assert.equal((await next).length, db.length)
  }
  assert.equal(db.length, 6 + 2 * 5)
  assert.ok(seen.verified.includes(db.length))
  assert.deepEqual(seen.verified, [...seen.verified].sort((a, b) => a - b), 'verified lengths only grow')
  assert.deepEqual(seen.violations, [])

  // The executor's key now signs an entry that acknowledges alice's first op a second time.
  const x = await DishonestExecutor.attach(db)
  const first = await x.entry(6)
  const pending = violation(m)
  const at = await x.append(first)
  const notice = await pending
  assert.equal(notice.class, 'op-out-of-order', describeBreach(notice))
  assert.equal(notice.seq, at)
  assert.equal(notice.evidence.oplog, db.oplogs.alice)
  assert.equal(notice.evidence.indexHash, toHex(await x.index.treeHash(at + 1)))
  // A breach is final: later entries are not verified, and asking again gives the same notice.
  await send1(db, 'increment', {}, 'bob')
  const report = await m.verifyToHead()
  assert.equal(report.valid, false)
  assert.deepEqual(report.breach, notice)
  assert.equal(report.verified, at)
  assert.equal(seen.violations.length, 1)
  assert.deepEqual(seen.errors, [])
})

test('a live monitor catches the index cut back behind its back', async (t) => {
  const db = await liveCounter(t)
  for (let i = 0; i < 3; i++) await send1(db, 'increment', {}, 'alice', true)
  const m = await db.monitor()
  await caughtUp(m, db.length)
  const x = await DishonestExecutor.attach(db)
  const length = x.length
  const before = toHex(await x.index.treeHash(length))
  const pending = violation(m)
  await x.truncate(length - 1)
  const n = await pending
  assert.equal(n.class, 'index-truncated', describeBreach(n))
  assert.equal(n.seq, length - 1)
  assert.deepEqual({ length: n.evidence.before?.length, hash: n.evidence.before?.hash }, { length, hash: before })
  assert.equal(n.evidence.after?.length, length - 1)
})

test('a live monitor catches the index rewritten (two roots for one length)', async (t) => {
  const db = await liveCounter(t)
  for (let i = 0; i < 3; i++) await send1(db, 'increment', {}, 'alice', true)
  const m = await db.monitor()
  await caughtUp(m, db.length)
  const x = await DishonestExecutor.attach(db)
  const length = x.length
  const before = toHex(await x.index.treeHash(length))
  const entries = await x.entries(length - 2)
  const pending = violation(m)
  // Same length, other content: the last two entries swapped.
  await x.rewrite(length - 2, [entries[1], entries[0]])
  const n = await pending
  // The monitor may look between the cut and the re-append: either way the old root is gone.
  assert.ok(n.class === 'index-rewritten' || n.class === 'index-truncated', describeBreach(n))
  assert.equal(n.evidence.before?.length, length)
  assert.equal(n.evidence.before?.hash, before)
  assert.ok(n.evidence.after)
  const report = await m.verifyToHead()
  assert.deepEqual(report.breach, n)
  assert.notEqual(toHex(await x.index.treeHash(length)), before)
})

test('a live monitor catches a participant oplog forked after its ops were acknowledged', async (t) => {
  const db = await liveCounter(t)
  await send1(db, 'increment', {}, 'alice', true)
  await send1(db, 'increment', { by: 2 }, 'alice', true)
  const m = await db.monitor()
  await caughtUp(m, db.length)
  const x = await DishonestExecutor.attach(db)
  const oplog = await x.oplog('alice')
  const before = toHex(await oplog.treeHash(2))
  const pending = violation(m)
  await x.forkOplog('alice', 1, [{ op: { op: 'INCREMENT', by: 40 } }])
  const n = await pending
  assert.equal(n.class, 'oplog-forked', describeBreach(n))
  assert.equal(n.evidence.oplog, db.oplogs.alice)
  assert.equal(n.evidence.before?.length, 2)
  assert.equal(n.evidence.before?.hash, before)
  assert.ok(n.evidence.after)
})

test('Monitor.watch() on logs a fault injector writes: honest growth, then a fork', async (t) => {
  const dir = await counterDir(t, 2)
  const x = await DishonestExecutor.open(dir)
  const m = x.monitor()
  t.after(async () => {
    await m.stop()
    await x.close()
  })
  await m.open()
  const seen = record(m)
  const first = await m.watch()
  assert.equal(first.valid, true)
  assert.equal(first.verified, x.length)
  // Bob writes an op and an entry acknowledging it exactly as an honest executor would.
  const seq = await x.appendOps('bob', [{ op: { op: 'INCREMENT', by: 5 } }])
  const grown = verifiedTo(m, x.length + 1)
  await x.append(await x.opEntry('bob', seq, [{ type: 'put', key: '/count', value: 7 }]))
  assert.equal((await grown).length, x.length)
  assert.deepEqual(seen.violations, [])
  // Then bob rewrites the op that was acknowledged.
  const pending = violation(m)
  await x.forkOplog('bob', seq, [{ op: { op: 'INCREMENT', by: 500 } }])
  const n = await pending
  assert.equal(n.class, 'oplog-forked', describeBreach(n))
  assert.equal(n.evidence.oplog, x.pubkey('bob'))
  assert.deepEqual(seen.errors, [])
})

test('a participant fork while a pass runs is caught, not recorded as the new head', async (t) => {
  const dir = await counterDir(t, 1)
  const x = await DishonestExecutor.open(dir)
  let armed = false
  const logs = {
    index: x.index,
    // The fork lands after the pass verified the ack of alice's op 1, before it notes the heads.
    oplog: async (pubkey: string) => {
      if (armed) {
        armed = false
        await x.forkOplog('alice', 1, [{ op: { op: 'INCREMENT', by: 9 } }])
      }
      return x.store.byPubkey(pubkey)
    },
  }
  const m = new Monitor(logs, { onProgress: (n, length) => void (armed = n === length && length > 8) })
  t.after(async () => {
    await m.stop()
    await x.close()
  })
  await m.open()
  assert.equal((await m.verifyToHead()).verified, 8)
  const seq = await x.appendOps('alice', [{ op: { op: 'INCREMENT', by: 1 } }])
  await x.append(await x.opEntry('alice', seq, [{ type: 'put', key: '/count', value: 2 }]))
  const report = await m.verifyToHead()
  assert.equal(report.valid, false, 'the fork was absorbed into the recorded heads')
  assert.equal(report.breach?.class, 'oplog-forked')
  assert.equal(report.breach?.evidence.before?.length, 2)
  assert.equal(report.breach?.evidence.oplog, x.pubkey('alice'))
})

test('an index rewritten while a pass reads it is caught, not recorded as the new head', async (t) => {
  const dir = await counterDir(t, 1)
  const x = await DishonestExecutor.open(dir)
  let armed = false
  // A view of the index that rewrites it right after the pass has read entry 6.
  const index = new Proxy(x.index, {
    get(target, prop) {
      if (prop === 'get') {
        return async (seq: number) => {
          const block = await target.get(seq)
          if (armed && seq === 8) {
            armed = false
            const [e8, e9] = await x.entries(8)
            assert.ok(e8.type === 'op')
            await x.rewrite(8, [{ ...e8, ack: { ...e8.ack, ts: e8.ack.ts + 1 } }, e9])
          }
          return block
        }
      }
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const m = new Monitor({ index, oplog: (pubkey) => x.store.byPubkey(pubkey) })
  t.after(async () => {
    await m.stop()
    await x.close()
  })
  await m.open()
  assert.equal((await m.verifyToHead()).verified, 8)
  for (const [name, count] of [['alice', 2], ['bob', 3]] as const) {
    const seq = await x.appendOps(name, [{ op: { op: 'INCREMENT', by: 1 } }])
    await x.append(await x.opEntry(name, seq, [{ type: 'put', key: '/count', value: count }]))
  }
  const before = toHex(await x.index.treeHash(10))
  armed = true
  const report = await m.verifyToHead()
  assert.equal(report.valid, false, 'the rewrite was absorbed into the recorded head')
  assert.equal(report.breach?.class, 'index-rewritten')
  assert.deepEqual({ length: report.breach?.evidence.before?.length, hash: report.breach?.evidence.before?.hash }, { length: 10, hash: before })
})

test('a restarted monitor resumes at its checkpoint, and still catches a breach after it', async (t) => {
  const dir = await counterDir(t, 3)
  const checkpointPath = path.join(await tempDir(t), 'monitor.json')
  const first = await verifyDirectory(dir, { checkpointPath })
  assert.deepEqual({ valid: first.valid, resumedFrom: first.resumedFrom, verified: first.verified, ops: first.ops }, { valid: true, resumedFrom: 0, verified: 12, ops: 3 })
  const saved = JSON.parse(await readFile(checkpointPath, 'utf8')) as Checkpoint
  assert.equal(saved.verified, 12)
  assert.equal(saved.heads.index.length, 12)
  assert.equal(Object.keys(saved.heads.oplogs).length, 2)

  // The database goes on; the monitor comes back later and verifies only what is new.
  const db = await Database.load(dir)
  for (let i = 0; i < 4; i++) await send1(db, 'increment', {}, 'bob', true)
  const viaDb = await db.verify({ checkpointPath })
  assert.deepEqual({ valid: viaDb.valid, resumedFrom: viaDb.resumedFrom, verified: viaDb.verified, ops: viaDb.ops }, { valid: true, resumedFrom: 12, verified: 20, ops: 4 })
  await send1(db, 'increment', {}, 'alice', true)
  await db.close()
  const second = await verifyDirectory(dir, { checkpointPath })
  assert.deepEqual({ valid: second.valid, resumedFrom: second.resumedFrom, verified: second.verified, ops: second.ops }, { valid: true, resumedFrom: 20, verified: 22, ops: 1 })

  // A dishonest entry after the resume point is caught by the resumed monitor.
  await withDishonest(dir, async (x) => {
    const last = await x.lastOp()
    await x.append({ ...last.entry, ack: { ...last.entry.ack, seq: last.entry.ack.seq + 1, oplogLength: last.entry.ack.oplogLength + 1 } })
  })
  const third = await verifyDirectory(dir, { checkpointPath })
  assert.equal(third.resumedFrom, 22)
  assert.equal(third.valid, false)
  assert.equal(third.breach?.class, 'entry-without-op', third.breach ? describeBreach(third.breach) : '')
  assert.equal(third.breach?.seq, 22)
  assert.equal(third.ops, 0)
  // The breach is persisted with the checkpoint.
  const after = JSON.parse(await readFile(checkpointPath, 'utf8')) as Checkpoint
  assert.equal(after.breach?.class, 'entry-without-op')
})

test('a resumed monitor does not replay what it verified before (it trusts its own checkpoint)', async (t) => {
  const dir = await counterDir(t, 2)
  const checkpointPath = path.join(await tempDir(t), 'monitor.json')
  const first = await verifyDirectory(dir, { checkpointPath })
  assert.equal(first.valid, true)
  // Another monitor, fresh, would see this breach; it lies before the checkpoint, which records the
  // root it saw, so the resumed monitor reports the rewrite rather than replaying from the start.
  await withDishonest(dir, (x) => x.tamperOp(6, (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] })))
  const fresh = await verifyDirectory(dir)
  assert.equal(fresh.breach?.class, 'changes-mismatch')
  const resumed = await verifyDirectory(dir, { checkpointPath })
  assert.equal(resumed.breach?.class, 'index-rewritten')
})

test('a long pass persists its position as it goes (a checkpoint a restart can use) and reports progress', async (t) => {
  const dir = await counterDir(t, 3)
  const checkpointPath = path.join(await tempDir(t), 'monitor.json')
  assert.equal((await verifyDirectory(dir, { checkpointPath })).verified, 12)
  const db = await Database.load(dir)
  for (let i = 0; i < 9; i++) await send1(db, 'increment', {}, 'alice', true)
  await db.close()
  const progress: number[] = []
  const persisted: number[] = []
  const report = await verifyDirectory(dir, {
    checkpointPath,
    checkpointEvery: 5,
    onProgress: (n) => {
      progress.push(n)
      const saved = JSON.parse(readFileSync(checkpointPath, 'utf8')) as Checkpoint
      // Each checkpoint written mid-pass must itself be one a restarted monitor accepts.
      assert.ok(saved.heads.index.length >= saved.verified, `checkpoint at ${saved.verified} records the index root at ${saved.heads.index.length}`)
      if (persisted.at(-1) !== saved.verified) persisted.push(saved.verified)
    },
  })
  assert.deepEqual({ resumedFrom: report.resumedFrom, verified: report.verified }, { resumedFrom: 12, verified: 30 })
  assert.deepEqual(progress, Array.from({ length: 18 }, (_, i) => i + 13))
  assert.deepEqual(persisted, [12, 15, 20, 25])
  const saved = JSON.parse(await readFile(checkpointPath, 'utf8')) as Checkpoint
  assert.equal(saved.verified, 30)
  // A restart from a checkpoint written mid-pass resumes there.
  await writeFile(checkpointPath, JSON.stringify({ ...saved, verified: 25, heads: { ...saved.heads, index: { length: 25, hash: toHex(await withDishonest(dir, (x) => x.index.treeHash(25))), signature: null } } }))
  const resumed = await verifyDirectory(dir, { checkpointPath })
  assert.deepEqual({ valid: resumed.valid, resumedFrom: resumed.resumedFrom, verified: resumed.verified, ops: resumed.ops }, { valid: true, resumedFrom: 25, verified: 30, ops: 2 })
})

test('a corrupt, foreign or impossible checkpoint gives a clear VerifyError', async (t) => {
  const dir = await counterDir(t, 2)
  const other = await counterDir(t, 1)
  const checkpointPath = path.join(await tempDir(t), 'monitor.json')
  const rejects = async (code: string, pattern: RegExp) =>
    assert.rejects(verifyDirectory(dir, { checkpointPath }), (err: unknown) => {
      assert.ok(err instanceof VerifyError, String(err))
      assert.equal(err.code, code)
      assert.match(err.message, pattern)
      return true
    })

  await writeFile(checkpointPath, '{"format": "glassbox-monitor/1", "verif')
  await rejects('CHECKPOINT_CORRUPT', /not valid JSON/)
  await writeFile(checkpointPath, JSON.stringify({ format: 'something-else', verified: 3 }))
  await rejects('CHECKPOINT_FORMAT', /not a glassbox-monitor\/1 checkpoint/)
  await writeFile(checkpointPath, 'null')
  await rejects('CHECKPOINT_FORMAT', /not a glassbox-monitor\/1 checkpoint/)

  // A checkpoint of another database.
  const otherPath = path.join(await tempDir(t), 'other.json')
  assert.equal((await verifyDirectory(other, { checkpointPath: otherPath })).valid, true)
  await writeFile(checkpointPath, await readFile(otherPath))
  await rejects('CHECKPOINT_OTHER_DATABASE', /belongs to database/)

  // A checkpoint claiming more entries verified than the roots it recorded cover.
  assert.equal((await verifyDirectory(dir, { checkpointPath: path.join(path.dirname(checkpointPath), 'ok.json') })).valid, true)
  const good = JSON.parse(await readFile(path.join(path.dirname(checkpointPath), 'ok.json'), 'utf8')) as Checkpoint
  await writeFile(checkpointPath, JSON.stringify({ ...good, verified: good.verified + 50 }))
  await rejects('CHECKPOINT_FORMAT', /verified/)
  await writeFile(checkpointPath, JSON.stringify({ ...good, verified: -1 }))
  await rejects('CHECKPOINT_FORMAT', /./)
})
