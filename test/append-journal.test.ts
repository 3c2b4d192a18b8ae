// The executor's journal (executor/append-journal.ts): every block is journaled and datasynced before
// its unsynced Hypercore append. Blocks a power loss takes from the log go back in at the next open,
// the same bytes, and their ops run once; a journal that leaves a hole in the log or disagrees with it
// is refused before anything is appended; compaction keeps every record the log did not hold yet.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { cp, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { toHex } from '../src/codec/hash.js'
import { AppendJournal, JOURNAL_FILE, replayJournal } from '../src/log/append-journal.js'
import { Database } from '../src/index.js'
import { BlockJournal, readJournal } from '../src/log/block-journal.js'
import { LogStore } from '../src/log/store.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { PowerLossDisk } from './helpers/power-loss.js'

async function put(db: Database, key: string, value: number): Promise<void> {
  await send1(db, 'put', { key, value })
}

/** The index log of a directory at rest: its length and the tree hash there, and its ops acknowledged. */
async function indexOf(dir: string): Promise<{ length: number; hash: string; acks: string[] }> {
  const db = await Database.load(dir, { readOnly: true })
  try {
    const length = (await db.info()).length
    const acks = (await db.history()).flatMap((h) => (h.log === 'index' && h.entry.type === 'op' ? [`${h.entry.ack.seq}@${h.entry.ack.ts}`] : []))
    const hash = toHex(await (db as unknown as { index: { treeHash(n: number): Promise<Uint8Array> } }).index.treeHash(length))
    return { length, hash, acks }
  } finally {
    await db.close()
  }
}

test('blocks a power loss took from the log go back in from the journal, the same bytes, their ops run once', { timeout: 60_000 }, async (t) => {
  const dir = path.join(await tempDir(t), 'db')
  const db = await Database.create(dir, { contract: await example('kv-store'), executor: { blockSize: 1 } })
  await send1(db, 'claimAdmin', {})
  await put(db, 'a', 1)
  await db.close()
  const disk = new PowerLossDisk(dir)
  t.after(() => disk.dispose())
  disk.synced()

  const again = await Database.load(dir, { executor: { blockSize: 1 } })
  await put(again, 'b', 2)
  await put(again, 'c', 3)
  assert.ok((await readJournal(path.join(dir, JOURNAL_FILE))).length >= 2, 'each block was journaled')
  // The power goes out: the log as synced when the executor started, the journal as synced since.
  const lost = disk.cut()
  await again.close()
  assert.equal(existsSync(path.join(dir, JOURNAL_FILE)), false, 'a clean close leaves the logs alone')

  const full = await indexOf(dir)
  assert.ok((await indexOf(lost)).length < full.length, 'the log that survived lacks the last blocks')
  const reopened = await Database.load(lost)
  await reopened.settled()
  assert.deepEqual(reopened.list('/values/').map((e) => e.key), ['/values/a', '/values/b', '/values/c'])
  const report = await reopened.verify()
  assert.equal(report.valid, true, JSON.stringify(report.breach ?? report).slice(0, 800))
  await reopened.close()
  const after = await indexOf(lost)
  assert.equal(after.length, full.length)
  assert.equal(after.hash, full.hash, 'the same log, signed the same way: nothing a peer saw changed')
  assert.deepEqual(after.acks, full.acks, 'each op acknowledged once, with its first ack')
})

test('a journal that leaves a hole in the log, or disagrees with it, is refused and nothing is appended', { timeout: 60_000 }, async (t) => {
  const dir = path.join(await tempDir(t), 'db')
  const db = await Database.create(dir, { contract: await example('kv-store'), executor: { blockSize: 1 } })
  await send1(db, 'claimAdmin', {})
  await db.close()
  const early = new PowerLossDisk(dir)
  t.after(() => early.dispose())
  early.synced()
  // Moved, not copied: the logs' device file must keep its inode.
  const behind = path.join(path.dirname(dir), 'behind')
  await rename(early.cut(), behind)
  // Two runs later, a journal that starts after blocks the early copy never got.
  const first = await Database.load(dir, { executor: { blockSize: 1 } })
  await put(first, 'a', 1)
  await first.close()
  const late = new PowerLossDisk(dir)
  t.after(() => late.dispose())
  late.synced()
  const run = await Database.load(dir, { executor: { blockSize: 1 } })
  await put(run, 'b', 1)
  await cp(path.join(late.cut(), JOURNAL_FILE), path.join(behind, JOURNAL_FILE))
  await run.close()

  const length = (await indexOf(behind)).length
  await assert.rejects(Database.load(behind), (err: Error & { code?: string }) => err.code === 'JOURNAL_GAP' && /blocks \d+–\d+ are lost/.test(err.message))
  assert.equal((await indexOf(behind)).length, length, 'nothing was appended')

  // A journal whose block at a position the log holds is another one.
  const { log } = await BlockJournal.open(path.join(behind, JOURNAL_FILE))
  await log.compact([{ start: 1, blocks: [Buffer.from('not the block at 1')] }])
  await log.close()
  await assert.rejects(Database.load(behind), (err: Error & { code?: string }) => err.code === 'JOURNAL_MISMATCH')
  assert.equal((await indexOf(behind)).length, length, 'nothing was appended')

  // A journal that names an oplog this directory does not sign.
  const foreign = await BlockJournal.open(path.join(behind, JOURNAL_FILE))
  await foreign.log.compact([{ start: 0, blocks: [Buffer.from('an op')], log: 'ab'.repeat(32) }])
  await foreign.log.close()
  await assert.rejects(Database.load(behind), (err: Error & { code?: string }) => err.code === 'JOURNAL_MISMATCH' && /does not sign/.test(err.message))
})

test('compaction syncs the logs and keeps the records of blocks not in them yet', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t)
  const logs = new LogStore(path.join(dir, 'cores'))
  await logs.ready()
  t.after(() => logs.close())
  const index = await logs.localIndex()
  let flushes = 0
  const flush = async () => {
    flushes++
    await logs.flush()
  }
  // Every record past the first compacts the journal.
  const journal = await AppendJournal.start(dir, flush, { executorLogs: (log) => (log === undefined ? index : null), compactBytes: 1 })
  const block = (text: string) => Buffer.from(text)
  await journal.hold(0, [block('zero')])
  await index.append([block('zero')])
  // Journaled but not appended yet (its append is in flight) when the next record compacts.
  await journal.hold(1, [block('one')])
  await journal.hold(2, [block('two')])
  assert.ok(flushes >= 3, 'each compaction synced the logs first')
  const kept = (await readJournal(path.join(dir, JOURNAL_FILE))).map((r) => ({ start: r.start, blocks: r.blocks.map(String) }))
  assert.deepEqual(kept, [
    { start: 1, blocks: ['one'] },
    { start: 2, blocks: ['two'] },
  ])
  // The log lost nothing the journal does not give back.
  assert.equal(await replayJournal(dir, index), 2)
  assert.deepEqual([String(await index.get(1)), String(await index.get(2))], ['one', 'two'])
  assert.equal(await replayJournal(dir, index), 0, 'replaying again appends nothing')
  await journal.close()
})

test('a confidential database: epoch records and sealed entries a power loss took come back from the journal', { timeout: 60_000 }, async (t) => {
  const dir = path.join(await tempDir(t), 'db')
  const opts = { contract: await example('kv-store'), oplogs: ['alice'], confidential: { rotateEvery: 4 }, executor: { blockSize: 2 } }
  await (await Database.create(dir, opts)).close()
  const disk = new PowerLossDisk(dir)
  t.after(() => disk.dispose())
  disk.synced()
  const db = await Database.load(dir, { executor: opts.executor })
  // New epochs every four entries: the keys log is written along with the index log.
  for (let i = 0; i < 10; i++) await send1(db, 'put', { key: `k${i}`, value: i }, 'alice', true)
  const kinds = new Set((await readJournal(path.join(dir, JOURNAL_FILE))).map((r) => (r.log === undefined ? 'index' : r.log === 'keys' ? 'keys' : 'oplog')))
  assert.deepEqual([...kinds].sort(), ['index', 'keys', 'oplog'], 'the journal holds records of all three')
  const lost = disk.cut()
  const expected = db.list('/values/')
  await db.close()

  const reopened = await Database.load(lost, { executor: opts.executor })
  t.after(() => reopened.close())
  await reopened.settled()
  assert.deepEqual(reopened.list('/values/'), expected)
  const report = await reopened.verify()
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  await send1(reopened, 'put', { key: 'after', value: 1 }, 'alice', true)
})

test('a torn last record is dropped, a damaged one with records after it is refused, and nothing is cut', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, JOURNAL_FILE)
  const { log } = await BlockJournal.open(file)
  await log.append({ start: 0, blocks: [Buffer.from('zero')] })
  await log.append({ start: 1, blocks: [Buffer.from('one')] })
  await log.close()
  const whole = await readFile(file)
  // A crash in the middle of a third record's write: the two before it stand.
  await writeFile(file, Buffer.concat([whole, Buffer.from([0, 0, 0, 9, 1, 2])]))
  assert.deepEqual((await readJournal(file)).map((r) => r.start), [0, 1])
  // A byte of the first record changed: not a crash, since it was synced before the second was written.
  const damaged = Buffer.from(whole)
  damaged[8] ^= 1
  await writeFile(file, damaged)
  await assert.rejects(readJournal(file), (err: Error & { code?: string }) => err.code === 'JOURNAL_CORRUPT')
  await assert.rejects(BlockJournal.open(file), (err: Error & { code?: string }) => err.code === 'JOURNAL_CORRUPT')
  assert.deepEqual(await readFile(file), damaged, 'the evidence is left as it was')
})

/**
 * A directory's journal and one oplog appended through it, op 0 in, with the oplog's Hypercore
 * appends waiting at a gate the test fails or opens (a fault injected where Hypercore would report
 * it), and a spy on the records reaching the journal (the journal itself is the real one).
 */
async function gatedOplog(t: TestContext) {
  const dir = await tempDir(t)
  const logs = new LogStore(path.join(dir, 'cores'))
  await logs.ready()
  t.after(() => logs.close())
  const oplog = await logs.localOplog('main')
  const key = toHex(oplog.key)
  const journal = await AppendJournal.start(dir, () => logs.flush())
  t.after(() => journal.close())
  await journal.append(oplog, [Buffer.from('op 0')])

  const core = oplog as unknown as { append(blocks: Buffer[]): Promise<{ length: number }> }
  const append = core.append.bind(core)
  const waiting: ((err: Error | null) => void)[] = []
  let arrived: () => void = () => {}
  core.append = (blocks) =>
    new Promise((resolve, reject) => {
      waiting.push((err) => (err ? reject(err) : append(blocks).then(resolve, reject)))
      arrived()
    })

  const hold = journal.hold.bind(journal)
  const watchers: { done(blocks: readonly Buffer[]): boolean; resolve(): void }[] = []
  journal.hold = (at, blocks, log) => {
    const held = hold(at, blocks, log)
    const settled = () => {
      for (const w of [...watchers]) if (w.done(blocks)) watchers.splice(watchers.indexOf(w), 1) && w.resolve()
    }
    held.then(settled, settled)
    return held
  }
  return {
    dir,
    oplog,
    journal,
    /** Resolves once an append waits at the gate. */
    arrival: () => (waiting.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => (arrived = resolve))),
    /** Fails (or, with null, lets through) the oldest append at the gate. */
    settle: (err: Error | null) => waiting.shift()!(err),
    restore: () => (core.append = append),
    /** Resolves once `count` more records have been written (or failed), counting only records of no blocks if `drops`. */
    held(count: number, drops = false): Promise<void> {
      let n = 0
      return new Promise((resolve) => watchers.push({ done: (blocks) => (!drops || blocks.length === 0) && ++n === count, resolve }))
    },
    /** The oplog's records past op 0, as a restart would read them. */
    records: async () => (await readJournal(path.join(dir, JOURNAL_FILE))).filter((r) => r.log === key && r.start + r.blocks.length > 1),
    replay: () => replayJournal(dir, oplog, key),
  }
}

const EIO = () => new Error('EIO: i/o error, write')

test("an oplog batch is journaled while the one before it is appended; if that append fails, so does the batch, and the journal keeps neither", async (t) => {
  const g = await gatedOplog(t)
  const one = g.journal.append(g.oplog, [Buffer.from('op 1')])
  await g.arrival()
  const heldTwo = g.held(1)
  const two = g.journal.append(g.oplog, [Buffer.from('op 2')])
  await heldTwo
  const shown = (rs: Awaited<ReturnType<typeof g.records>>) => rs.map((r) => [r.start, r.blocks.map(String)])
  assert.deepEqual(shown(await g.records()), [[1, ['op 1']], [2, ['op 2']]], 'op 2 is journaled while op 1 waits at its append')

  const dropped = g.held(2, true)
  g.settle(EIO())
  await assert.rejects(one, /EIO/)
  await assert.rejects(two, /the append to oplog .* before these blocks failed/)
  await dropped
  // A restart would put back nothing the callers were told failed.
  assert.deepEqual(await g.records(), [])
  assert.equal(g.oplog.length, 1)

  g.restore()
  await g.journal.append(g.oplog, [Buffer.from('op 1, again')])
  assert.equal(String(await g.oplog.get(1)), 'op 1, again')
  assert.deepEqual(shown(await g.records()), [[1, ['op 1, again']]])
})

test('an oplog append that fails alone leaves no record a restart would put back', async (t) => {
  const g = await gatedOplog(t)
  const one = g.journal.append(g.oplog, [Buffer.from('op 1')])
  await g.arrival()
  const dropped = g.held(1, true)
  g.settle(EIO())
  await assert.rejects(one, /EIO/)
  await dropped
  // The process dies here: the next open would find op 1, which its caller was told failed, nowhere.
  assert.deepEqual(await g.records(), [])
  assert.equal(await g.replay(), 0)
})

test('a batch journaled after the append before it failed is superseded too: a restart finds no hole to refuse', async (t) => {
  const g = await gatedOplog(t)
  const one = g.journal.append(g.oplog, [Buffer.from('op 1')])
  await g.arrival()
  const dropped = g.held(2, true)
  // The append fails, and in the same turn the next call comes: its batch is journaled at 2,
  // after the record that drops position 1 on, while the log ends at 1.
  g.settle(EIO())
  const two = g.journal.append(g.oplog, [Buffer.from('op 2')])
  await assert.rejects(one, /EIO/)
  await assert.rejects(two, /before these blocks failed/)
  await dropped
  assert.deepEqual(await g.records(), [])
  // What the next open does with the journal: nothing to put back, no hole to refuse.
  assert.equal(await g.replay(), 0)
  assert.equal(g.oplog.length, 1)
})
