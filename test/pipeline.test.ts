// The pipelined executor (seed 000's speculative execution): the next block executes while the last
// one is appended and synced; nothing executed but not yet durable is seen by readers, proofs or the
// state store; a failed append takes back the block and every block built on it, and a restart
// processes their ops exactly once.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { decodeEntry, type OpEntry } from '../src/codec/messages.js'
import type { ExecutedEvent, Executor } from '../src/executor/executor.js'
import { Database } from '../src/index.js'
import { JOURNAL_FILE } from '../src/log/append-journal.js'
import { readJournal } from '../src/log/block-journal.js'
import { tempDir, waitForEvent } from './helpers/databases.js'

const KV = `
export function put ({ key, value }, emit) { emit({ op: 'PUT', key, value }) }
export function get ({ key }) { return null }
export const apply = { PUT (tx, op) { tx.put('/v/' + op.key, op.value) } }
`

type Append = (blocks: Buffer[]) => Promise<unknown>

/**
 * Holds the index log's appends at a gate the test opens; returns the gate's controls. An append
 * reaches the gate once its block is journaled, so the controls wait for it to arrive.
 */
function gateAppends(db: Database) {
  const index = (db as unknown as { index: { append: Append } }).index
  const append = index.append.bind(index)
  let open: (() => void) | null = null
  let arrived: () => void = () => {}
  let arrival = new Promise<void>((resolve) => (arrived = resolve))
  let failWith: Error | null = null
  let held = 0
  index.append = async (blocks) => {
    held++
    const gate = new Promise<void>((resolve) => (open = resolve))
    arrived()
    await gate
    if (failWith) throw failWith
    return append(blocks)
  }
  /** Opens the gate for the append at it (waiting for one to arrive), then sets it for the next. */
  const pass = async (): Promise<void> => {
    await arrival
    arrival = new Promise<void>((resolve) => (arrived = resolve))
    const through = open
    open = null
    through?.()
  }
  return {
    get held() {
      return held
    },
    /** Resolves once an append waits at the gate. */
    arrival: () => arrival,
    release: pass,
    async fail(err: Error): Promise<void> {
      failWith = err
      await pass()
    },
    restore(): void {
      index.append = append
    },
  }
}

const executorOf = (db: Database) => (db as unknown as { executor: Executor }).executor

async function opEntries(db: Database): Promise<OpEntry[]> {
  return (await db.history()).flatMap((h) => (h.log === 'index' && h.entry.type === 'op' ? [h.entry] : []))
}

test('the next block executes while the last is appended, and readers see only the committed head', { timeout: 60_000 }, async (t) => {
  const db = await Database.create(await tempDir(t), { contract: KV })
  t.after(() => db.close())
  await (await db.call('put', { key: 'a', value: 1 })).whenProcessed()
  const committedRoot = (await db.checkpoint()).stateRoot
  const gate = gateAppends(db)
  const executor = executorOf(db)

  // Block 1 executes, then waits at the gate for its append.
  const first = waitForEvent<ExecutedEvent>(executor, 'executed')
  const one = await db.call('put', { key: 'a', value: 2 })
  assert.equal((await first).speculative, 1)
  // Block 2 executes on top of it while block 1 is still being appended.
  const second = waitForEvent<ExecutedEvent>(executor, 'executed')
  const two = await db.call('put', { key: 'b', value: 3 })
  const executed = await second
  assert.equal(executed.speculative, 2, 'two blocks executed, neither on stable storage')
  await gate.arrival()
  assert.equal(gate.held, 1, 'block 2 waits for block 1 to be durable before its own append')

  // Nothing speculative is visible: values, listings, calls, proofs and checkpoints are the head's.
  assert.deepEqual(db.get('/v/a'), { key: '/v/a', value: 1 })
  assert.equal(db.get('/v/b'), null)
  assert.deepEqual(db.list('/v/'), [{ key: '/v/a', value: 1 }])
  assert.equal(db.isProcessed(one.ops[0]), false)
  assert.equal((await db.checkpoint()).stateRoot, committedRoot)
  const read = await db.get('/v/a', { proof: true })
  assert.deepEqual(read.value, 1)
  const preview = await db.preview('put', { key: 'c', value: 4 })
  assert.equal(preview.head.stateRoot, committedRoot)
  assert.deepEqual(preview.ops[0].changes, [{ type: 'put', key: '/v/c', value: 4 }])
  // ... and the speculative blocks are intact after every one of those reads.
  assert.equal(executor.committed(() => 0), 0)

  await gate.release()
  await one.whenProcessed()
  await gate.release()
  await two.whenProcessed()
  gate.restore()
  await db.settled()
  assert.deepEqual(db.list('/v/'), [
    { key: '/v/a', value: 2 },
    { key: '/v/b', value: 3 },
  ])
  assert.equal((await opEntries(db)).length, 3)
})

test('a failed append takes back its block and the block built on it; a restart runs their ops exactly once', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV })
  await (await db.call('put', { key: 'kept', value: 1 })).whenProcessed()
  const before = db.list('/')
  const gate = gateAppends(db)
  const executor = executorOf(db)
  db.on('error', () => {})
  const second = waitForEvent<ExecutedEvent>(executor, 'executed', (e) => e.speculative === 2)
  const one = await db.call('put', { key: 'lost', value: 2 })
  const two = await db.call('put', { key: 'also-lost', value: 3 })
  await second
  await gate.fail(new Error('disk full'))
  await assert.rejects(one.whenProcessed(), /disk full/)
  await assert.rejects(two.whenProcessed(), /disk full/)
  await assert.rejects(db.settled(), /disk full/)
  // Both blocks are gone from the executor's own view too, not only from what readers see.
  assert.deepEqual(executor.committed(() => db.list('/')), before)
  assert.deepEqual(db.list('/'), before)
  await db.close()

  const again = await Database.load(dir)
  t.after(() => again.close())
  await again.settled()
  assert.deepEqual(again.list('/'), [
    { key: '/v/also-lost', value: 3 },
    { key: '/v/kept', value: 1 },
    { key: '/v/lost', value: 2 },
  ])
  assert.equal((await opEntries(again)).length, 3)
  assert.equal((await again.verify()).valid, true)
})

test('the next block is journaled while the last is appended, and appended only after it', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV })
  t.after(() => db.close())
  await (await db.call('put', { key: 'a', value: 1 })).whenProcessed()
  const start = (await db.info()).length
  // Watches the index log's records reach the journal (a spy: the journal itself is the real one).
  const journal = (db as unknown as { journal: { hold(start: number, blocks: readonly Buffer[], log?: string): Promise<void> } }).journal
  const hold = journal.hold.bind(journal)
  const indexHolds: Promise<void>[] = []
  let secondHeld: (held: Promise<void>) => void = () => {}
  const second = new Promise<Promise<void>>((resolve) => (secondHeld = resolve))
  journal.hold = (at, blocks, log) => {
    const held = hold(at, blocks, log)
    if (log === undefined && at >= start && indexHolds.push(held) === 2) secondHeld(held)
    return held
  }
  const gate = gateAppends(db)
  const one = await db.call('put', { key: 'b', value: 2 })
  await gate.arrival()
  const two = await db.call('put', { key: 'c', value: 3 })
  // Block 2's record reaches the journal while block 1 is held at the gate, before its own append.
  await (await second)
  assert.equal(gate.held, 1, 'one append at the gate: block 2 waits for block 1')
  const ahead = (await readJournal(path.join(dir, JOURNAL_FILE))).filter((r) => r.log === undefined && r.start > start)
  assert.equal(ahead.length, 1, 'block 2 journaled ahead of its append')
  const entries = ahead[0].blocks.map((b) => decodeEntry(b))
  assert.deepEqual(entries.flatMap((e) => (e.type === 'op' ? e.changes.map((c) => c.key) : [])), ['/v/c'])
  await gate.release()
  await one.whenProcessed()
  await gate.release()
  await two.whenProcessed()
  gate.restore()
  assert.deepEqual(db.list('/v/').map((e) => e.value), [1, 2, 3])
  assert.equal((await db.verify()).valid, true)
})
