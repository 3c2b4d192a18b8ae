// The Database facade and its executor on bad input: garbage and oversized ops, directories that
// are missing, taken or half-made, a contract that upgrades itself, blocks, and a failed append.

import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { decodeEntry, encodeEntry, encodeOp } from '../src/codec/messages.js'
import { CallError, Database, DatabaseError, type BlockEvent, type OpEntry } from '../src/index.js'
import { LogStore } from '../src/log/store.js'

const KV = `
import assert from 'assert'
export function put ({ key, value }, emit) { emit({ op: 'PUT', key, value }) }
export function upgrade ({ code }, emit) { emit({ op: 'UPGRADE', code }) }
export const apply = {
  PUT (tx, op) { assert(typeof op.key === 'string', 'key must be a string'); tx.put('/v/' + op.key, op.value) },
  UPGRADE (tx, op) { tx.setContractSource({ code: op.code }) }
}
`
const V2 = `
export function put ({ key, value }, emit) { emit({ op: 'PUT', key, value }) }
export function version () { return 2 }
export const apply = { PUT (tx, op) { tx.put('/v2/' + op.key, op.value) } }
`

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-db-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A database under KV with one oplog `w` holding these raw blocks, not yet processed. */
async function withRawOps(t: TestContext, blocks: Uint8Array[]): Promise<string> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV, oplogs: ['w'] })
  await db.close()
  const logs = new LogStore(dir)
  await logs.ready()
  await (await logs.localOplog('w')).append(blocks.map((b) => Buffer.from(b)))
  await logs.close()
  return dir
}

async function opEntries(db: Database): Promise<OpEntry[]> {
  return (await db.history()).flatMap((h) => (h.log === 'index' && h.entry.type === 'op' ? [h.entry] : []))
}

test('garbage and oversized ops are acknowledged as failed, spend their seq, and the next op runs', async (t) => {
  const dir = await withRawOps(t, [
    Uint8Array.of(0xff, 0x00, 0x13),
    encodeOp({ op: 'PUT', key: 'big', value: 'x'.repeat(70 * 1024) }),
    encodeOp({ op: 'PUT', key: 'ok', value: 1 }),
  ])

  const again = await Database.load(dir)
  t.after(() => again.close())
  await again.settled()
  const acks = (await opEntries(again)).map((e) => e.ack)
  assert.deepEqual(acks.map((a) => [a.seq, a.success]), [[0, false], [1, false], [2, true]])
  assert.match(acks[0].error ?? '', /^malformed op: unknown tag 0xff/)
  assert.match(acks[1].error ?? '', /exceeds the limit of 65536/)
  assert.deepEqual(again.get('/v/ok'), { key: '/v/ok', value: 1 })
  assert.equal(again.get('/v/big'), null)
  const verified = await again.verify()
  assert.equal(verified.valid, true, JSON.stringify(verified.breach))
})

test('an op whose change is nested too deep for an entry fails, and the executor keeps going', async (t) => {
  // The op encodes (64 levels), but the entry around its change is 3 levels deeper than the
  // canonical encoding allows; a participant must not be able to halt the executor with it.
  let deep: unknown = 1
  for (let i = 0; i < 62; i++) deep = [deep]
  const dir = await withRawOps(t, [encodeOp({ op: 'PUT', key: 'deep', value: deep } as never), encodeOp({ op: 'PUT', key: 'next', value: 1 })])
  const again = await Database.load(dir)
  t.after(() => again.close())
  await again.settled()
  const acks = (await opEntries(again)).map((e) => e.ack)
  assert.deepEqual(acks.map((a) => a.success), [false, true])
  assert.match(acks[0].error ?? '', /nest/)
  assert.equal(again.get('/v/deep'), null)
  assert.equal((await again.verify()).valid, true)
})

test('a log whose last state root disagrees with its own changes is refused at load', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV })
  await (await db.call('put', { key: 'a', value: 1 })).whenProcessed()
  await db.close()
  const logs = new LogStore(dir)
  await logs.ready()
  const index = await logs.localIndex()
  const last = decodeEntry((await index.get(index.length - 1))!) as OpEntry
  await index.truncate(index.length - 1)
  await index.append(Buffer.from(encodeEntry({ ...last, stateRoot: new Uint8Array(32).fill(9) })))
  await logs.close()
  await assert.rejects(Database.load(dir), (e: unknown) => e instanceof DatabaseError && e.code === 'STATE_ROOT_MISMATCH')
})

test('directories that hold no database, a database already, or half a database say so', async (t) => {
  const dir = await tempDir(t)
  await assert.rejects(Database.load(path.join(dir, 'nope')), (e: unknown) => e instanceof DatabaseError && e.code === 'DATABASE_NOT_FOUND')
  const db = await Database.create(path.join(dir, 'a'), { contract: KV })
  await db.close()
  await assert.rejects(Database.create(path.join(dir, 'a'), { contract: KV }), (e: unknown) => e instanceof DatabaseError && e.code === 'DATABASE_EXISTS')

  // A crash after the genesis append but before the manifest was written.
  const half = path.join(dir, 'half')
  const made = await Database.create(half, { contract: KV })
  await made.close()
  await rm(path.join(half, 'manifest.json'))
  await assert.rejects(Database.create(half, { contract: KV }), (e: unknown) => e instanceof DatabaseError && e.code === 'DATABASE_INCOMPLETE')

  const corrupt = path.join(dir, 'corrupt')
  await mkdir(corrupt)
  await writeFile(path.join(corrupt, 'manifest.json'), '{"format": ')
  await assert.rejects(Database.load(corrupt), (e: unknown) => e instanceof DatabaseError && e.code === 'DATABASE_CORRUPT')
})

test('a contract that replaces its own source: later ops run the new code, also after a restart', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV })
  await (await db.call('put', { key: 'a', value: 1 })).whenProcessed()
  const [up] = await (await db.call('upgrade', { code: V2 })).whenProcessed()
  assert.equal(up.success, true, up.error ?? '')
  assert.equal(db.source, V2)
  assert.deepEqual((await db.methods()), ['put', 'version'])
  await (await db.call('put', { key: 'b', value: 2 })).whenProcessed()
  assert.deepEqual(db.list('/'), [
    { key: '/v/a', value: 1 },
    { key: '/v2/b', value: 2 },
  ])
  await db.close()
  const again = await Database.load(dir)
  t.after(() => again.close())
  assert.equal((await again.call('version')).response, 2)
  assert.equal((await again.verify()).valid, true)
})

test('an upgrade to code that does not load fails the op and keeps the old contract', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV })
  t.after(() => db.close())
  const [r] = await (await db.call('upgrade', { code: 'export const apply = {' })).whenProcessed()
  assert.equal(r.success, false)
  assert.deepEqual(r.changes, [])
  assert.equal(db.source, KV)
})

test('ops are appended in blocks of at most blockSize entries, each block one append', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV, oplogs: ['w'] })
  await db.close()
  const offline = await Database.load(dir, { execute: false })
  for (let i = 0; i < 10; i++) await offline.call('put', { key: `k${i}`, value: i }, { as: 'w' })
  await offline.close()
  const blocks: number[] = []
  const live = await Database.load(dir, { executor: { blockSize: 4 } })
  t.after(() => live.close())
  // The executor's first read is still in flight when load() resolves, so no block is missed.
  live.on('block', (b: BlockEvent) => blocks.push(b.entries.length))
  await live.settled()
  assert.deepEqual(blocks, [4, 4, 2])
  assert.equal((await opEntries(live)).length, 10)
})

test('calls after the first publish through the oplog already open: no new log session per call', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV, oplogs: ['w'] })
  t.after(() => db.close())
  await (await db.call('put', { key: 'first', value: 0 }, { as: 'w' })).whenProcessed()
  const logs = (db as unknown as { logs: LogStore }).logs
  const get = logs.corestore.get
  let sessions = 0
  logs.corestore.get = function (this: typeof logs.corestore, ...args: Parameters<typeof get>) {
    sessions++
    return get.apply(this, args)
  }
  t.after(() => {
    logs.corestore.get = get
  })
  for (let i = 0; i < 3; i++) await (await db.call('put', { key: `k${i}`, value: i }, { as: 'w' })).whenProcessed()
  assert.equal(sessions, 0)
  assert.equal(db.list('/v/').length, 4)
})

test('calls that cannot publish fail clearly: unknown method, a caller that is not an input', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV })
  t.after(() => db.close())
  await assert.rejects(db.call('nope'), (e: unknown) => e instanceof CallError && e.code === 'METHOD_NOT_FOUND')
  await db.createOplog('outsider')
  await assert.rejects(db.call('put', { key: 'x', value: 1 }, { as: 'outsider' }), (e: unknown) => e instanceof CallError && e.code === 'NOT_A_WRITER')
  assert.equal(db.get('/v/x'), null)
})

test('a failed append stops the executor, reverts its in-memory state and loses nothing committed', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: KV })
  await (await db.call('put', { key: 'kept', value: 1 })).whenProcessed()
  const before = db.list('/')
  // Fault injection: the index log starts refusing appends.
  const index = (db as unknown as { index: { append: (b: Buffer[]) => Promise<unknown> } }).index
  index.append = async () => {
    throw new Error('disk full')
  }
  db.on('error', () => {})
  const call = await db.call('put', { key: 'lost', value: 2 })
  await assert.rejects(call.whenProcessed(), /disk full/)
  assert.deepEqual(db.list('/'), before, 'the failed block left no trace in the state')
  await db.close()
  const again = await Database.load(dir)
  t.after(() => again.close())
  await again.settled()
  // The op is still in its oplog, so the restarted executor processes it exactly once.
  assert.deepEqual(again.list('/'), [
    { key: '/v/kept', value: 1 },
    { key: '/v/lost', value: 2 },
  ])
  assert.equal((await opEntries(again)).length, 2)
})
