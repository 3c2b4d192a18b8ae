// Failover between real peers on a private loopback DHT (docs/protocol.md §18): the executor appends
// only what its standby holds, the standby takes over when the executor falls silent, the log goes on
// with a handover seal and no acked op lost, and the old executor, back again, is fenced before it
// writes anything.

import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { Database } from '../src/index.js'
import { decodeEntry, type SealEntry } from '../src/codec/messages.js'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import { readExecutorKeyFile, type ExecutorKeys } from '../src/failover/takeover.js'
import { joinDatabase } from '../src/participant/join.js'
import { checkDirectorySeals, verifyDirectory } from '../src/verify/verify-dir.js'
import { StandbyHold } from '../src/failover/standby-hold.js'
import type { StandbyChannels } from '../src/failover/standby-channel.js'
import { example, send1, tempDir, waitForEvent, withoutExecutor } from './helpers/databases.js'
import { eventually } from './helpers/network.js'
import { randomBytes } from 'node:crypto'

let dht: BootstrapNodes
before(async () => {
  dht = await startBootstrapNodes()
})
after(async () => {
  await dht.close()
})

const net = (announce = false) => ({ bootstrap: dht.bootstrap, timeoutMs: 20_000, announce })

interface Setup {
  execDir: string
  standbyDir: string
  keys: ExecutorKeys
  executor: Database
  standby: Database
  writer: Database
  writerKey: string
  /** Block ends the standby said it held, and any block the executor appended before that. */
  held: Set<number>
  /** Keys log records the standby held (a confidential database's epochs). */
  heldKeys: Set<number>
  appendedUnheld: number[]
}

/** An executor with a standby, and a writer in a third directory whose oplog is an input. */
async function setup(t: import('node:test').TestContext, takeoverAfterMs: number, confidential?: { rotateEvery: number }): Promise<Setup> {
  const execDir = await tempDir(t)
  await (await Database.create(execDir, { contract: await example('kv-store'), ...(confidential ? { confidential } : {}) })).close()
  let executor = await Database.load(execDir, { network: net(true) })
  await send1(executor, 'claimAdmin', {}, undefined, true)
  const keyFile = path.join(await tempDir(t), 'executor.key')
  await executor.writeExecutorKey(keyFile)
  const keys = (await readExecutorKeyFile(keyFile))!

  const standbyDir = await tempDir(t)
  await joinDatabase(standbyDir, executor.key)
  const writerDir = await tempDir(t)
  const joined = await joinDatabase(writerDir, executor.key)
  await send1(executor, 'addParticipant', { pubkey: joined.oplog.pubkey }, undefined, true)

  // A confidential database's standby reads it with the executor's key.
  const standby = await Database.load(standbyDir, { network: net(true), readerKey: keys.index.secretKey })
  const role = await standby.standBy(keys, { takeoverAfterMs })
  const held = new Set<number>()
  const heldKeys = new Set<number>()
  role.on('held', ({ end, log }: { end: number; log?: 'keys' }) => (log === 'keys' ? heldKeys : held).add(end))
  // From here on every block waits for the standby.
  await executor.close()
  executor = await Database.load(execDir, { network: net(true), standby: standby.swarmKey! })
  const appendedUnheld: number[] = []
  executor.on('block', (b: { start: number; entries: unknown[] }) => {
    const end = b.start + b.entries.length + 1
    if (!held.has(end)) appendedUnheld.push(end)
  })
  const writer = await Database.load(writerDir, { network: net() })
  await eventually(async () => (await writer.info()).inputs.includes(joined.oplog.pubkey), 'the writer sees itself added')
  return { execDir, standbyDir, keys, executor, standby, writer, writerKey: joined.oplog.pubkey, held, heldKeys, appendedUnheld }
}

async function put(db: Database, key: string, value: number) {
  const [r] = await (await db.call('put', { key, value })).whenProcessed()
  assert.equal(r.success, true, r.error ?? undefined)
  return r
}

test('the standby takes over a silent executor: every acked op is in its log, after them a handover seal, and the old executor is fenced', async (t) => {
  const s = await setup(t, 60_000)
  t.after(async () => {
    for (const db of [s.writer, s.standby, s.executor]) await db.close().catch(() => {})
  })
  const acked = []
  for (let i = 0; i < 6; i++) acked.push(await put(s.writer, `k${i}`, i))
  const before = s.executor.length
  assert.deepEqual(s.appendedUnheld, [], 'no block reached the log before the standby held it')
  assert.ok(s.held.size >= acked.length)

  // The executor goes silent; the standby takes over (here at once, as --takeover-after would).
  await s.executor.close()
  await s.standby.takeOver(s.keys)
  const next = await Database.load(s.standbyDir, { network: net(true) })
  s.standby = next
  assert.ok(next.runtime !== null, 'the standby now runs the executor')
  const handover = decodeEntry(await indexEntry(next, before)) as SealEntry
  assert.equal(handover.type, 'seal')
  assert.equal(Buffer.from(handover.handover!).toString('hex'), next.swarmKey, 'the handover seal names the instance that took over')
  for (const [i, r] of acked.entries()) {
    assert.equal(next.get(`/values/k${i}`)?.value, i)
    const entry = decodeEntry(await indexEntry(next, r.index!))
    assert.ok(entry.type === 'op' && entry.ack.origin === r.origin && entry.ack.seq === r.seq, `acked op ${i} is where its ack said`)
  }

  // The writer goes on against the new executor.
  const later = await put(s.writer, 'after', 99)
  assert.ok(later.index! > before, 'the op after the takeover follows the handover seal')

  // The old executor comes back, still naming the standby: its first append is fenced.
  const old = await Database.load(s.execDir, { network: net(true) })
  s.executor = old
  const fenced = waitForEvent<Error & { code?: string }>(old, 'error')
  await s.writer.call('put', { key: 'x', value: 1 })
  const err = await fenced
  assert.equal(err.code, 'EXECUTOR_FENCED', err.message)
  // It appended nothing of its own: whatever its copy of the log holds is the new executor's.
  await next.settled()
  const held = (await old.head()).length
  assert.ok(held >= before)
  assert.equal(await old.indexHash(held), await next.indexHash(held), 'the old executor holds a prefix of the log, not a fork of it')

  await s.writer.settled()
  await next.settled()
  await next.close()
  const report = await verifyDirectory(s.standbyDir)
  assert.equal(report.breach, null, JSON.stringify(report.breach))
  assert.equal(report.valid, true)
})

test('without its standby the executor appends nothing, and a peer without the key pair cannot make the standby hold a block', async (t) => {
  const s = await setup(t, 60_000)
  t.after(async () => {
    for (const db of [s.writer, s.standby, s.executor]) await db.close().catch(() => {})
  })
  await put(s.writer, 'a', 1)
  const length = s.executor.length

  // A forger on the writer's connection says hello with a key pair of its own.
  const channels = (s.writer as unknown as { standbyChannels: StandbyChannels }).standbyChannels
  const forger = new StandbyHold(channels, s.standby.swarmKey!, new Uint8Array(randomBytes(64)))
  const refused = waitForEvent<string>(forger, 'refused')
  void forger.hold(length, [Buffer.from('forged')]).catch(() => {})
  assert.match(await refused, /not signed by the index log's key pair/)
  forger.close()

  // The standby goes away: an op is executed but waits, unappended, until it is back.
  const standbyKey = s.standby.swarmKey!
  const gone = waitForEvent(s.executor, 'standby', (e: { event: string }) => e.event === 'disconnected')
  await s.standby.close()
  await gone
  const warned = waitForEvent<{ event: string; detail: string }>(s.executor, 'standby', (e) => e.event === 'waiting')
  const call = await s.writer.call('put', { key: 'b', value: 2 })
  const waited = (s.executor as unknown as { executor: import('node:events').EventEmitter }).executor
  await waitForEvent(waited, 'executed')
  assert.equal(s.executor.length, length, 'nothing appended while the standby is away')
  // The operator hears that writes wait for the standby.
  assert.match((await warned).detail, /has waited \d+ s for the standby, which is not connected/)
  assert.equal(s.executor.length, length)
  s.standby = await Database.load(s.standbyDir, { network: net(true) })
  await s.standby.standBy(s.keys, { takeoverAfterMs: 60_000 })
  assert.equal(s.standby.swarmKey, standbyKey)
  const [r] = await call.whenProcessed()
  assert.equal(r.success, true)
  assert.ok(s.executor.length > length, 'appended once the standby holds it')
})

async function indexEntry(db: Database, seq: number): Promise<Uint8Array> {
  return (db as unknown as { readIndex(seq: number): Promise<Uint8Array> }).readIndex(seq)
}

test('a standby whose executor went away before it downloaded the last blocks still closes', { timeout: 60_000 }, async (t) => {
  const s = await setup(t, 60_000)
  t.after(async () => {
    for (const db of [s.writer, s.standby, s.executor]) await db.close().catch(() => {})
  })
  // A backlog the executor runs in full blocks at once, then it is gone: the standby holds every
  // block (it had to), while its replica may still be fetching their entries from a peer that no
  // longer answers.
  await s.executor.close()
  await withoutExecutor(s.execDir, async (db) => {
    for (let i = 0; i < 1500; i++) await db.call('put', { key: `backlog${i}`, value: i })
  })
  const executor = await Database.load(s.execDir, { network: net(true) })
  s.executor = executor
  await executor.settled()
  await executor.close()
  await s.writer.close()
  await s.standby.close()
})

test('a confidential database fails over too: the standby holds each epoch before the keys log gets it, and reads and verifies after the takeover', async (t) => {
  const s = await setup(t, 60_000, { rotateEvery: 6 })
  t.after(async () => {
    for (const db of [s.writer, s.standby, s.executor]) await db.close().catch(() => {})
  })
  const acked = []
  for (let i = 0; i < 8; i++) acked.push(await put(s.writer, `k${i}`, i))
  assert.deepEqual(s.appendedUnheld, [], 'no block reached the log before the standby held it')
  assert.ok(s.heldKeys.size >= 2, `epochs rotated every 6 entries were held first (${s.heldKeys.size})`)
  const before = s.executor.length

  await s.executor.close()
  await s.standby.takeOver(s.keys)
  const next = await Database.load(s.standbyDir, { network: net(true) })
  s.standby = next
  assert.ok(next.runtime !== null, 'the standby now runs the executor')
  for (const [i, r] of acked.entries()) {
    assert.equal(next.get(`/values/k${i}`)?.value, i)
    const entry = decodeEntry(await indexEntry(next, r.index!))
    assert.ok(entry.type === 'op' && entry.ack.seq === r.seq, `acked op ${i} is where its ack said`)
  }
  const later = await put(s.writer, 'after', 99)
  assert.ok(later.index! > before)
  await next.close()
  const report = await verifyDirectory(s.standbyDir)
  assert.equal(report.breach, null, JSON.stringify(report.breach))
  assert.equal(report.valid, true)
  // A peer without a key still checks every seal, the handover seal among them, kept clear.
  const seals = await checkDirectorySeals(s.standbyDir)
  assert.equal(seals.problem, null, JSON.stringify(seals.problem))
  assert.ok(seals.seals > 0)
})
