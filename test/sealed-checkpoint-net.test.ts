// Confidential chunk sync across peers on a private loopback DHT (docs/protocol.md §17.8): a reader
// starts its replica from the executor's sealed checkpoint, over the swarm and over HTTP, ends where a
// full replay ends and keeps the checkpoint sealed; a peer that holds no key is refused by name; and a
// checkpoint left in the clear in a confidential directory is never served.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { loadOrCreateKey } from '../src/claims/verifier-key.js'
import { toHex } from '../src/codec/hash.js'
import { SEALED_STATE_FORMAT } from '../src/confidential/sealed-checkpoint.js'
import { Database } from '../src/index.js'
import { startHttpApi } from '../src/net/http/server.js'
import { replicateDatabase } from '../src/net/replicate-database.js'
import { LogStore } from '../src/log/store.js'
import { syncDatabase } from '../src/net/state-sync.js'
import { verifyRemote } from '../src/net/remote-monitor.js'
import { defaultCheckpointPath } from '../src/verify/verify-dir.js'
import { readManifest, writeStateCheckpoint } from '../src/state/checkpoint/checkpoint-files.js'
import { glassbox } from './helpers/cli.js'
import { keptCheckpointText } from './helpers/confidential.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { localDht } from './helpers/network.js'

const dht = localDht()
const net = () => ({ bootstrap: dht.bootstrap, timeoutMs: 20_000 })
const SECRET = 'lotus-0932-sealed'


test('a reader syncs a confidential database from its sealed checkpoint over the swarm and over HTTP; a peer without a key is refused', async (t) => {
  const keys = await tempDir(t)
  const readerFile = path.join(keys, 'auditor.json')
  const auditor = await loadOrCreateKey(readerFile)
  const execDir = await tempDir(t)
  await (await Database.create(execDir, { contract: await example('kv-store'), confidential: { readers: [toHex(auditor.subarray(32))] } })).close()
  const executor = await Database.load(execDir, { network: { ...net(), announce: true } })
  t.after(() => executor.close())
  await send1(executor, 'claimAdmin', {}, undefined, true)
  for (let i = 0; i < 12; i++) await send1(executor, 'put', { key: `k${i}`, value: `${SECRET}-${i}` }, undefined, true)
  const { manifest } = await executor.writeStateCheckpoint(4)
  for (let i = 12; i < 15; i++) await send1(executor, 'put', { key: `k${i}`, value: i }, undefined, true)
  const before = await executor.checkpoint()

  // Over the swarm, with the reader's key.
  const replica = await tempDir(t)
  const report = await syncDatabase(replica, executor.key, { ...net(), from: ['swarm'], readerKey: auditor })
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.deepEqual(report.start, { from: 'checkpoint', url: `swarm:${executor.swarmKey}`, length: manifest.length, keys: manifest.keys, chunks: manifest.chunks })
  assert.equal(report.stateRoot, before.stateRoot)
  assert.equal(report.resumedFrom, manifest.length + 1)
  assert.equal(((await readManifest(replica, manifest.length)) as { format: string }).format, SEALED_STATE_FORMAT, 'kept as served: sealed')
  assert.ok(!(await keptCheckpointText(replica)).includes(SECRET))
  // A later run in the replica starts after the kept (sealed) checkpoint again, opened with the reader's key.
  await send1(executor, 'put', { key: 'k15', value: 15 }, undefined, true)
  const again = await verifyRemote(replica, executor.key, { ...net(), readerKey: auditor, checkpointPath: defaultCheckpointPath(replica) })
  assert.equal(again.valid, true, JSON.stringify(again.breach))
  assert.equal(again.stateRoot, (await executor.checkpoint()).stateRoot)
  assert.ok(again.ops <= 2, `only the new op is executed (${again.ops})`)
  const head = await executor.checkpoint()

  // Over HTTP: the sealed checkpoints are served to anyone, without the API token.
  const api = await startHttpApi({ db: executor, port: 0, token: 'owner-token' })
  t.after(() => api.close())
  const listed = await fetch(`${api.url}/v1/state-checkpoints`)
  assert.equal(listed.status, 200)
  assert.deepEqual(await listed.json(), { checkpoints: [manifest.length] })
  const served = await (await fetch(`${api.url}/v1/state-checkpoints/${manifest.length}/chunks/0`)).text()
  assert.ok(!served.includes(SECRET) && served.includes('"sealed"'))
  const bin = await tempDir(t)
  const run = await glassbox(['sync', executor.key, '--dir', path.join(bin, 'r'), '--from', api.url, '--reader-key', readerFile, '--bootstrap', dht.flag(), '--json'], bin)
  assert.equal(run.code, 0, run.stderr)
  const viaHttp = JSON.parse(run.stdout) as { valid: boolean; start: { from: string; url: string; length: number }; stateRoot: string }
  assert.equal(viaHttp.valid, true)
  assert.deepEqual([viaHttp.start.from, viaHttp.start.url, viaHttp.start.length], ['checkpoint', api.url, manifest.length])
  assert.equal(viaHttp.stateRoot, head.stateRoot)
  const verified = await glassbox(['verify', executor.key, '--from-checkpoint', api.url, '--reader-key', readerFile, '--bootstrap', dht.flag(), '--json'], bin)
  assert.equal(verified.code, 0, verified.stderr)
  assert.equal((JSON.parse(verified.stdout) as { stateRoot: string }).stateRoot, head.stateRoot)

  // A peer that holds no key of the database: refused by name, nothing verified.
  await assert.rejects(syncDatabase(await tempDir(t), executor.key, { ...net(), from: [api.url] }), { code: 'NOT_A_MEMBER' })
  const refused = await glassbox(['sync', executor.key, '--dir', path.join(bin, 'outsider'), '--bootstrap', dht.flag()], bin)
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /confidential and this replica holds none of its keys/)
})

test('a checkpoint left in the clear in a confidential directory is served neither over HTTP nor over the swarm', async (t) => {
  const execDir = await tempDir(t)
  await (await Database.create(execDir, { contract: await example('kv-store'), confidential: {} })).close()
  const executor = await Database.load(execDir, { network: { ...net(), announce: true } })
  t.after(() => executor.close())
  await send1(executor, 'claimAdmin', {}, undefined, true)
  await send1(executor, 'put', { key: 'flower', value: SECRET }, undefined, true)
  // Written around the database, as a tool or an older copy might: the state in the clear.
  const clear = await executor.stateCheckpoint()
  await writeStateCheckpoint(execDir, clear)
  const length = clear.manifest.length

  const api = await startHttpApi({ db: executor, port: 0, token: 'owner-token' })
  t.after(() => api.close())
  for (const route of [`/v1/state-checkpoints/${length}`, `/v1/state-checkpoints/${length}/chunks/0`]) {
    for (const auth of [{}, { headers: { authorization: 'Bearer owner-token' } }]) {
      const res = await fetch(`${api.url}${route}`, auth)
      assert.equal(res.status, 403, route)
      const body = await res.text()
      assert.ok(!body.includes(SECRET))
      assert.match(body, /kept in the clear, and this database is confidential/)
    }
  }

  // Any peer may ask over the swarm, member or not: it gets a refusal, not the state.
  const logs = new LogStore(await tempDir(t))
  await logs.ready()
  t.after(() => logs.close())
  const { replicator, checkpoints } = await replicateDatabase(logs, await logs.byPubkey(executor.key), net())
  t.after(() => replicator.close())
  const source = checkpoints.source(executor.swarmKey!, 10_000)
  assert.deepEqual(await source.ask({}), { checkpoints: [length] })
  await assert.rejects(source.ask({ length }), (err: Error & { code?: string }) => err.code === 'PEER_REFUSED' && /kept in the clear, and this database is confidential/.test(err.message) && !err.message.includes(SECRET))
  await assert.rejects(source.ask({ length, chunk: 0 }), /kept in the clear/)
})
