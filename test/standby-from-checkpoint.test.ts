// A standby that starts from a sealed state checkpoint (docs/protocol.md §12.3, §17.8, §18): its
// replica is synced from the executor's checkpoint, joined, and opened as a database whose state
// store starts at the checkpoint's seal, with no fold of the history before it. It then stands by,
// takes over, and resumes where the executor stopped: no entry before the checkpoint executed or
// folded, no op acknowledged twice.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { decodeEntry, type SealEntry } from '../src/codec/messages.js'
import { readExecutorKeyFile } from '../src/failover/takeover.js'
import { Database } from '../src/index.js'
import { syncDatabase } from '../src/net/state-sync.js'
import { joinDatabase } from '../src/participant/join.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { glassbox } from './helpers/cli.js'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { checkpointsDir, chunkFile } from '../src/state/checkpoint/checkpoint-files.js'
import { eventually, localDht } from './helpers/network.js'

const dht = localDht()
const net = (announce = false) => ({ bootstrap: dht.bootstrap, timeoutMs: 20_000, announce })
const SECRET = 'iris-2218-standby'

test('a standby synced from a sealed checkpoint opens from it, stands by and takes over without the history before it', async (t) => {
  const execDir = await tempDir(t)
  await (await Database.create(execDir, { contract: await example('kv-store'), confidential: {} })).close()
  let executor = await Database.load(execDir, { network: net(true) })
  const open: Database[] = []
  t.after(async () => {
    for (const db of [...open, executor]) await db.close().catch(() => {})
  })
  await send1(executor, 'claimAdmin', {}, undefined, true)
  for (let i = 0; i < 30; i++) await send1(executor, 'put', { key: `k${i}`, value: `${SECRET}-${i}` }, undefined, true)
  const { manifest } = await executor.writeStateCheckpoint(8)
  for (let i = 30; i < 34; i++) await send1(executor, 'put', { key: `k${i}`, value: i }, undefined, true)
  const keyFile = path.join(await tempDir(t), 'executor.key')
  await executor.writeExecutorKey(keyFile)
  const keys = (await readExecutorKeyFile(keyFile))!

  // The standby's replica: synced from the checkpoint (opened with the executor's key), then joined.
  const dir = await tempDir(t)
  const synced = await syncDatabase(dir, executor.key, { ...net(), from: ['swarm'], readerKey: keys.index.secretKey })
  assert.equal(synced.valid, true, JSON.stringify(synced.breach))
  assert.equal(synced.start.from, 'checkpoint')
  await joinDatabase(dir, executor.key)
  const standby = await Database.load(dir, { network: net(true), readerKey: keys.index.secretKey })
  open.push(standby)
  assert.equal(standby.stateLoad.from, 'store', 'the state store starts from the checkpoint')
  assert.ok(standby.stateLoad.folded <= executor.length - manifest.length, `only entries after the checkpoint are folded (${standby.stateLoad.folded})`)
  await eventually(() => standby.length >= executor.length, 'the standby follows the log')
  assert.equal(standby.get('/values/k3')?.value, `${SECRET}-3`)
  assert.equal(standby.get('/values/k33')?.value, 33)

  const role = await standby.standBy(keys, { takeoverAfterMs: 60_000 })
  const held = new Set<number>()
  role.on('held', ({ end, log }: { end: number; log?: 'keys' }) => log === undefined && held.add(end))
  await executor.close()
  executor = await Database.load(execDir, { network: net(true), standby: standby.swarmKey! })
  await send1(executor, 'put', { key: 'last', value: 'held first' }, undefined, true)
  assert.ok(held.has(executor.length), 'the standby held the last block before its append')
  const head = executor.length
  const root = (await executor.checkpoint()).stateRoot
  await executor.close()

  await standby.takeOver(keys)
  open.splice(open.indexOf(standby), 1)
  const next = await Database.load(dir, { network: net(true) })
  open.push(next)
  assert.ok(next.runtime !== null, 'the standby runs the executor now')
  assert.equal(next.length, head + 1, 'the log goes on: the held blocks, then one handover seal')
  const handover = decodeEntry(await (next as unknown as { readIndex(seq: number): Promise<Uint8Array> }).readIndex(head)) as SealEntry
  assert.equal(Buffer.from(handover.handover!).toString('hex'), next.swarmKey)
  assert.equal(Buffer.from(handover.stateRoot).toString('hex'), root, 'the state it resumes from is the executor\'s last')
  assert.equal(next.get('/values/last')?.value, 'held first')
  assert.equal(next.get('/values/k0')?.value, `${SECRET}-0`)
})

test('glassbox join --from-checkpoint starts the replica from a checkpoint and opens from it; with none to start from it joins nothing', async (t) => {
  const execDir = await tempDir(t)
  await (await Database.create(execDir, { contract: await example('kv-store') })).close()
  const executor = await Database.load(execDir, { network: net(true) })
  t.after(() => executor.close())
  await send1(executor, 'claimAdmin', {}, undefined, true)
  for (let i = 0; i < 20; i++) await send1(executor, 'put', { key: `k${i}`, value: i }, undefined, true)
  const { manifest } = await executor.writeStateCheckpoint(8)
  await send1(executor, 'put', { key: 'after', value: 1 }, undefined, true)

  const root = await tempDir(t)
  const dir = path.join(root, 'replica')
  const run = await glassbox(['join', executor.key, '--dir', dir, '--from-checkpoint', 'swarm', '--bootstrap', dht.flag(), '--json'], root)
  assert.equal(run.code, 0, run.stderr)
  const joined = JSON.parse(run.stdout) as { checkpoint: { length: number; url: string; verified: number }; length: number; contract: { methods: string[] } }
  assert.equal(joined.checkpoint.length, manifest.length)
  assert.equal(joined.checkpoint.url, `swarm:${executor.swarmKey}`)
  assert.equal(joined.length, executor.length)
  assert.ok(joined.contract.methods.includes('put'))
  const replica = await Database.load(dir)
  try {
    assert.equal(replica.stateLoad.from, 'store')
    assert.equal(replica.get('/values/k7')?.value, 7)
    assert.equal(await (replica as unknown as { index: { has(i: number): Promise<boolean> } }).index.has(1), false, 'the history before the checkpoint was never fetched')
  } finally {
    await replica.close()
  }

  // The kept checkpoint changed on disk, with no store to resume from: the open refuses it by name
  // rather than start from it, and starts from it again once it is put back.
  const chunk = path.join(checkpointsDir(dir), String(manifest.length), chunkFile(1))
  const original = await readFile(chunk, 'utf8')
  await writeFile(chunk, original.replace(/"value":\d+/, '"value":999'))
  await rm(path.join(dir, 'state'), { recursive: true })
  await assert.rejects(Database.load(dir), (err: Error & { code?: string }) => err.code === 'CHECKPOINT_INVALID' && /chunk 1/.test(err.message))
  await writeFile(chunk, original)
  const restored = await Database.load(dir)
  try {
    assert.equal(restored.stateLoad.from, 'store')
    assert.equal(restored.get('/values/k7')?.value, 7)
  } finally {
    await restored.close()
  }

  const nowhere = path.join(root, 'nowhere')
  const refused = await glassbox(['join', executor.key, '--dir', nowhere, '--from-checkpoint', 'http://127.0.0.1:9', '--bootstrap', dht.flag(), '--peer-timeout', '5'], root)
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /no state checkpoint to start from: http:\/\/127\.0\.0\.1:9/)
  assert.equal(existsSync(nowhere), false, 'nothing was joined')
})
