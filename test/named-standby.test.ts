// The contract names the executor's standby (docs/protocol.md §18.4): with membership-voting, the
// members vote a standby in; the executor holds each block at the standby the state before it names,
// moves to the next one the members vote for, and only the standby named by everything it holds may
// take over. A standby voted out does not, even once the executor is silent.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { decodeEntry, type SealEntry } from '../src/codec/messages.js'
import { namedStandby, stateWith } from '../src/failover/named-standby.js'
import { beginTakeover, readExecutorKeyFile, type ExecutorKeys } from '../src/failover/takeover.js'
import { Database } from '../src/index.js'
import { joinDatabase } from '../src/participant/join.js'
import { MemoryState } from '../src/state/memory-state.js'
import { ContractVM } from '../src/vm/index.js'
import type { Json } from '../src/vm/types.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { example, tempDir, waitForEvent } from './helpers/databases.js'
import { AppendJournal } from '../src/log/append-journal.js'
import { serverLine, startServer } from './helpers/cli.js'
import { assertCovered, covered, FAILOVER_CLASSES } from './helpers/breaches.js'
import { eventually, localDht } from './helpers/network.js'

const dht = localDht()
const net = (announce = false) => ({ bootstrap: dht.bootstrap, timeoutMs: 20_000, announce })

async function ok(db: Database, method: string, params: { [key: string]: Json }, as: string): Promise<{ index: number; response: unknown }> {
  const r = await db.call(method, params, { as })
  const [result] = await r.whenProcessed()
  assert.equal(result.error, null, `${method} as ${as}`)
  return { index: result.index!, response: r.response }
}

/** Alice proposes, Bob agrees: the two members' majority. */
async function vote(db: Database, action: string, pubkey: string): Promise<void> {
  const { response } = await ok(db, 'propose', { action, pubkey }, 'alice')
  await ok(db, 'vote', { id: (response as { id: string }).id, approve: true }, 'bob')
}

interface Standing {
  dir: string
  db: Database
  /** Ends of the index blocks it held. */
  held: Set<number>
}

async function standBy(t: TestContext, key: string, keys: ExecutorKeys): Promise<Standing> {
  const dir = await tempDir(t)
  await joinDatabase(dir, key)
  const db = await Database.load(dir, { network: net(true) })
  const held = new Set<number>()
  const role = await db.standBy(keys, { takeoverAfterMs: 60_000 })
  role.on('held', ({ end, log }: { end: number; log?: 'keys' }) => log === undefined && held.add(end))
  return { dir, db, held }
}

/** A membership-voting executor online, with alice and bob as members, and its key pair in a file. */
async function votingExecutor(t: TestContext): Promise<{ executor: Database; keyFile: string; keys: ExecutorKeys }> {
  const execDir = await tempDir(t)
  await (await Database.create(execDir, { contract: await example('membership-voting'), oplogs: ['alice', 'bob'] })).close()
  const executor = await Database.load(execDir, { network: net(true) })
  t.after(() => executor.close().catch(() => {}))
  const keyFile = path.join(await tempDir(t), 'executor.key')
  await executor.writeExecutorKey(keyFile)
  return { executor, keyFile, keys: (await readExecutorKeyFile(keyFile))! }
}

test('the members vote the standby in and out; blocks are held by the one named before them, and only it takes over', async (t) => {
  const setup = await votingExecutor(t)
  let { executor } = setup
  const { keys } = setup
  const closing: Database[] = []
  t.after(async () => {
    for (const db of [...closing, executor]) await db.close().catch(() => {})
  })
  const a = await standBy(t, executor.key, keys)
  const b = await standBy(t, executor.key, keys)
  closing.push(a.db, b.db)
  assert.equal((await executor.info()).failover.namedByContract, true)
  assert.equal((await executor.info()).failover.standby, null, 'none named yet: the executor appends alone')

  await vote(executor, 'standby', a.db.swarmKey!)
  // From the block after the vote on, A holds every block before it is appended.
  const firstUnderA = executor.length
  await ok(executor, 'propose', { action: 'add', pubkey: 'a1'.repeat(32) }, 'alice')
  assert.ok(a.held.has(executor.length), `A held the block ending at ${executor.length}`)
  assert.equal((await executor.info()).failover.standby, a.db.swarmKey)
  assert.ok([...b.held].every((end) => end <= firstUnderA), 'B, not named, held nothing')

  await vote(executor, 'standby', b.db.swarmKey!)
  const votedB = executor.length
  await ok(executor, 'propose', { action: 'add', pubkey: 'b2'.repeat(32) }, 'alice')
  assert.ok(b.held.has(executor.length), 'the block after the vote is held by B')
  assert.ok(a.held.has(votedB), 'the block that named B was held by A, named before it')
  assert.ok(![...a.held].some((end) => end > votedB), 'A holds nothing after the block that named B')
  assert.equal((await executor.info()).failover.standby, b.db.swarmKey)

  // The executor goes silent. A, voted out, may not take over; B may.
  const head = executor.length
  await executor.close()
  await eventually(async () => a.db.length >= head && b.db.length >= head, 'both standbys hold the whole log')
  const fromA = await a.db.takeoverNamed()
  assert.deepEqual(fromA, { eligible: false, named: b.db.swarmKey })
  await assert.rejects(a.db.takeOver(keys), { code: 'STANDBY_NOT_NAMED' })
  const bKey = b.db.swarmKey!
  assert.deepEqual(await b.db.takeoverNamed(), { eligible: true, named: bKey })
  await b.db.takeOver(keys)
  closing.splice(closing.indexOf(b.db), 1)
  executor = await Database.load(b.dir, { network: net(true) })
  const handover = decodeEntry(await (executor as unknown as { readIndex(seq: number): Promise<Uint8Array> }).readIndex(head)) as SealEntry
  assert.equal(Buffer.from(handover.handover!).toString('hex'), bKey, 'the handover seal names B')
  assert.equal(executor.swarmKey, bKey)
  // B is the executor now, and the standby the members named: it holds for no one until they name another.
  assert.equal((await executor.info()).failover.standby, null)
  await executor.close()
  const report = await verifyDirectory(b.dir)
  assert.equal(report.valid, true, JSON.stringify(report.breach))
})

test('a contract that names the standby refuses one of the operator\'s choice; a bad answer names none', async (t) => {
  const dir = await tempDir(t)
  await (await Database.create(dir, { contract: await example('membership-voting'), oplogs: ['alice', 'bob'] })).close()
  await assert.rejects(Database.load(dir, { network: net(true), standby: 'ab'.repeat(32) }), (err: Error & { code?: string }) => err.code === 'USAGE' && /the contract names the standby/.test(err.message))

  const vm = await ContractVM.create(`
    import { index } from 'contract'
    export async function standby() { const e = await index.get('/s'); return e ? e.value : null }
    export const apply = () => {}
  `)
  t.after(() => vm.dispose())
  const state = new MemoryState()
  const why: string[] = []
  assert.equal(namedStandby(vm, state, (w) => why.push(w)), null)
  assert.equal(namedStandby(vm, stateWith(state, [{ type: 'put', key: '/s', value: 'cd'.repeat(32) }])), 'cd'.repeat(32), 'held changes count')
  assert.equal(namedStandby(vm, stateWith(state, [{ type: 'put', key: '/s', value: 'not-a-key' }]), (w) => why.push(w)), null)
  assert.match(why.join('\n'), /returned "not-a-key", not null or a swarm key/)
  const plain = await ContractVM.create('export const apply = () => {}')
  t.after(() => plain.dispose())
  assert.equal(namedStandby(plain, state), undefined, 'a contract without standby() names none: the operator does')
  // The overlay lists as the state with the changes would.
  const base = new MemoryState([['/a', 1], ['/b', 2], ['/c', 3]])
  const over = stateWith(base, [{ type: 'del', key: '/b' }, { type: 'put', key: '/bb', value: 4 }])
  assert.deepEqual(over.list('/', { gt: '/a', limit: 2 }).map((e) => e.key), ['/bb', '/c'])
  assert.equal(over.get('/b'), undefined)
  assert.equal(base.get('/b'), 2, 'the base is left as it was')
})

test('a standby the contract does not name refuses to take over; one forced to is caught by every replay (unnamed-handover)', async (t) => {
  const { executor, keys } = await votingExecutor(t)
  const a = await standBy(t, executor.key, keys)
  t.after(() => a.db.close().catch(() => {}))
  await ok(executor, 'propose', { action: 'add', pubkey: 'a1'.repeat(32) }, 'alice')
  const head = executor.length
  await executor.close()
  await eventually(async () => a.db.length >= head, 'the standby holds the whole log')

  // The members named no standby: this one may not take over, silent executor or not.
  assert.deepEqual(await a.db.takeoverNamed(), { eligible: false, named: null })
  await assert.rejects(a.db.takeOver(keys), (err: Error & { code?: string }) => err.code === 'STANDBY_NOT_NAMED' && /names no standby/.test(err.message))

  // Forced (a dishonest operator skipping the check): the handover seal it appends is a breach.
  await a.db.close()
  await beginTakeover(a.dir, { index: keys.index.secretKey, keysLog: null })
  await (await Database.load(a.dir)).close()
  const report = await verifyDirectory(a.dir)
  assert.equal(report.valid, false)
  assert.equal(report.breach?.class, 'unnamed-handover')
  assert.equal(report.breach?.seq, head)
  assert.equal(report.breach?.expected, null)
  assert.match(report.breach!.message, /the handover seal names instance .*, but the contract names no standby/)
  assert.equal(report.verified, head, 'every entry before the handover verifies')
  covered.add(report.breach!.class)
  assertCovered(FAILOVER_CLASSES)
})

test('a standby that holds the block voting it out, never appended, does not take over', async (t) => {
  const { executor, keys } = await votingExecutor(t)
  const a = await standBy(t, executor.key, keys)
  t.after(() => a.db.close().catch(() => {}))
  await vote(executor, 'standby', a.db.swarmKey!)
  const { response } = await ok(executor, 'propose', { action: 'standby', pubkey: 'bb'.repeat(32) }, 'alice')
  const head = executor.length
  await eventually(async () => a.db.length >= head, 'the standby holds the whole log')
  assert.deepEqual(await a.db.takeoverNamed(), { eligible: true, named: a.db.swarmKey })

  // The executor dies right after A held the block of Bob's deciding vote, before its own journal
  // or any peer got it: the block is in A's held blocks only.
  const hold = AppendJournal.prototype.hold
  AppendJournal.prototype.hold = function (start, blocks, log) {
    return log === undefined ? Promise.reject(new Error('power cut')) : hold.call(this, start, blocks, log)
  }
  t.after(() => (AppendJournal.prototype.hold = hold))
  const stopped = waitForEvent<Error>(executor, 'error')
  await executor.call('vote', { id: (response as { id: string }).id, approve: true }, { as: 'bob' })
  assert.match((await stopped).message, /power cut/)
  AppendJournal.prototype.hold = hold
  await executor.close()
  assert.ok(a.held.has(head + 2), 'A held the block (the vote and its seal)')
  assert.equal(a.db.length, head, 'the log never got it')
  assert.deepEqual(await a.db.takeoverNamed(), { eligible: false, named: 'bb'.repeat(32) }, 'what A holds names another standby')
  await assert.rejects(a.db.takeOver(keys), { code: 'STANDBY_NOT_NAMED' })
})

test('serve --standby, not named, stays standing by when the executor falls silent, and says why', async (t) => {
  const { executor, keyFile } = await votingExecutor(t)
  const dir = await tempDir(t)
  await joinDatabase(dir, executor.key)
  const server = await startServer(dir, dir, ['--standby', keyFile, '--takeover-after', '300', '--bootstrap', dht.flag()])
  t.after(() => {
    server.child.kill('SIGKILL')
  })
  await ok(executor, 'propose', { action: 'standby', pubkey: 'cc'.repeat(32) }, 'alice')
  await executor.close()
  assert.match(await serverLine(server, /standby not-named/), /standby not-named: null/, 'no standby is named yet (the vote is open)')
  assert.doesNotMatch(server.stderr(), /took over/)
  server.child.kill('SIGTERM')
  assert.equal(await server.exited, 0, server.stderr())
})
