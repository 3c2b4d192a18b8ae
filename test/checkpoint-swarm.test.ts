// State checkpoints over the swarm (docs/protocol.md §12.4): a replica asks the peers it meets for
// their checkpoints on the same connections that carry the logs, highest first, refuses one that
// does not check and names the peer, and ends where a replay from genesis ends. A peer asked for
// something it does not keep, or asked nonsense, answers with a refusal and stays usable.

import assert from 'node:assert/strict'
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, test, type TestContext } from 'node:test'
import { Database } from '../src/index.js'
import { openRemoteLogs } from '../src/net/remote-logs.js'
import { openRemoteMonitor } from '../src/net/remote-monitor.js'
import { syncDatabase } from '../src/net/state-sync.js'
import { checkpointsDir, chunkFile, listStateCheckpoints } from '../src/state/checkpoint/checkpoint-files.js'
import type { StateChunk } from '../src/state/checkpoint/state-checkpoint.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { LogStore } from '../src/log/store.js'
import { CHECKPOINT_PROTOCOL } from '../src/net/checkpoint-channel.js'
import { Replicator } from '../src/net/replicator.js'
import c from 'compact-encoding'
import Protomux from 'protomux'
import { glassbox } from './helpers/cli.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { localDht } from './helpers/network.js'

const dht = localDht()

async function putValues(db: Database, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) await send1(db, 'put', { key: `k${String(i).padStart(4, '0')}`, value: { i } }, 'alice', true)
}

/** An executor on the test DHT with checkpoints at two lengths, the later one kept only in `copy`. */
async function served(t: TestContext) {
  const dir = await tempDir(t)
  await (await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'] })).close()
  const db = await Database.load(dir, { network: { bootstrap: dht.bootstrap, announce: true } })
  t.after(() => db.close())
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await putValues(db, 0, 20)
  const early = (await db.writeStateCheckpoint(8)).manifest
  await putValues(db, 20, 10)
  const late = (await db.writeStateCheckpoint(8)).manifest
  await putValues(db, 30, 5)
  // The later checkpoint moves to another directory: the executor keeps only the early one.
  const copy = await tempDir(t)
  await cp(checkpointsDir(dir), checkpointsDir(copy), { recursive: true })
  await rm(path.join(checkpointsDir(dir), String(late.length)), { recursive: true })
  return { db, early, late, copy }
}

/** A peer on the swarm that replicates the database and serves the checkpoints kept in `dir`. */
async function peerServing(t: TestContext, dir: string, key: string) {
  const m = await openRemoteMonitor(dir, key, { bootstrap: dht.bootstrap, announce: true, timeoutMs: 20_000 })
  t.after(() => m.close())
  return m.remote.replicator.publicKey
}

test('sync over the swarm: the highest checkpoint that checks, past a peer whose chunk was changed', async (t) => {
  const { db, early, late, copy } = await served(t)
  // A peer keeping the later checkpoint with one value changed in chunk 1.
  const file = path.join(checkpointsDir(copy), String(late.length), chunkFile(1))
  const chunk = JSON.parse(await readFile(file, 'utf8')) as StateChunk
  ;(chunk.proof.nodes.find((n) => 'value' in n) as { value: unknown }).value = 'forged'
  await writeFile(file, JSON.stringify(chunk))
  const liar = await peerServing(t, copy, db.key)

  const replica = await tempDir(t)
  const report = await syncDatabase(replica, db.key, { bootstrap: dht.bootstrap, from: ['swarm'], timeoutMs: 20_000 })
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.deepEqual(report.start, { from: 'checkpoint', url: `swarm:${db.swarmKey}`, length: early.length, keys: early.keys, chunks: early.chunks })
  const refusal = report.refused.find((r) => r.url === `swarm:${liar}`)
  assert.ok(refusal, `the lying peer is named: ${JSON.stringify(report.refused)}`)
  assert.match(refusal.reason, /chunk 1 .*does not hold at the seal's state root/)

  const full = await verifyDirectory(db.dir)
  assert.equal(report.stateRoot, full.stateRoot)
  assert.equal(report.verified, full.verified)
  assert.equal(report.resumedFrom, early.length + 1)
  assert.ok(report.ops <= 15 + 1, `only the ops after the checkpoint are re-executed (${report.ops})`)
  // Kept, so this replica serves it in turn.
  assert.deepEqual(await listStateCheckpoints(replica), [early.length])
  // Each oplog was fetched from the op after the seal's position, not whole.
  const alice = (await db.info()).oplogs.find((o) => o.name === 'alice')
  assert.ok(alice)
  const logs = new LogStore(replica)
  await logs.ready()
  t.after(() => logs.close())
  const oplog = await logs.byPubkey(alice.pubkey)
  const position = JSON.parse(await readFile(path.join(checkpointsDir(replica), String(early.length), 'manifest.json'), 'utf8')).positions[alice.pubkey] as number
  assert.equal(await oplog.has(position + 1), true)
  assert.equal(await oplog.has(0), false, 'the ops before the checkpoint stay unfetched')
})

test('glassbox sync asks the swarm by default, and starts from an honest peer\'s later checkpoint', async (t) => {
  const { db, late, copy } = await served(t)
  await peerServing(t, copy, db.key)
  const replica = await tempDir(t)
  const bootstrap = dht.flag()
  const run = await glassbox(['sync', db.key, '--dir', replica, '--bootstrap', bootstrap, '--json'], replica)
  assert.equal(run.code, 0, run.stderr)
  const report = JSON.parse(run.stdout) as { valid: boolean; start: { from: string; url: string; length: number }; stateRoot: string }
  assert.equal(report.valid, true)
  assert.equal(report.start.from, 'checkpoint')
  assert.equal(report.start.length, late.length, 'the highest checkpoint a peer keeps')
  assert.match(report.start.url, /^swarm:[0-9a-f]{64}$/)
  assert.notEqual(report.start.url, `swarm:${db.swarmKey}`)
  assert.equal(report.stateRoot, (await db.checkpoint()).stateRoot)
})

test('a peer asked for what it does not keep, or asked nonsense, refuses by name and goes on answering', async (t) => {
  const { db, early } = await served(t)
  const remote = await openRemoteLogs(await tempDir(t), db.key, { bootstrap: dht.bootstrap, timeoutMs: 20_000 })
  t.after(() => remote.close())
  const executor = db.swarmKey
  assert.ok(executor)
  await remote.replicator.flush(20_000)
  const peer = remote.checkpoints.source(executor, 10_000)
  await assert.rejects(peer.ask({ length: early.length + 1 }), /no state checkpoint at length/)
  await assert.rejects(peer.ask({ length: early.length, chunk: 99 }), /no chunk 99 of a state checkpoint/)
  await assert.rejects(peer.ask({ length: -1 }), /integers from 0/)
  await assert.rejects(peer.ask({ chunk: 0 }), /integers from 0/)
  await assert.rejects(peer.ask({ length: 'x' as unknown as number }), /integers from 0/)
  assert.deepEqual(await peer.ask({}), { checkpoints: [early.length] })
  const manifest = (await peer.ask({ length: early.length })) as { length: number }
  assert.equal(manifest.length, early.length)
  // A peer that is not connected is refused here, not waited for.
  await assert.rejects(remote.checkpoints.source('00'.repeat(32), 10_000).ask({}), /no longer connected/)
})

test('a peer that opens the channel and never answers is refused after the timeout, and the next peer serves', async (t) => {
  const { db, early } = await served(t)
  // A silent peer: on the database's topic, with the checkpoint channel open and deaf.
  const logs = new LogStore(await tempDir(t))
  await logs.ready()
  const silent = await Replicator.open(logs.corestore, { bootstrap: dht.bootstrap })
  t.after(async () => {
    await silent.close()
    await logs.close()
  })
  const discoveryKey = (internalsOf(db).index as { discoveryKey: Buffer }).discoveryKey
  silent.eachConnection((_peer, conn) => {
    const channel = Protomux.from(conn).createChannel({ protocol: CHECKPOINT_PROTOCOL, id: discoveryKey })
    if (!channel) return
    channel.addMessage({ encoding: c.json as never })
    channel.addMessage({ encoding: c.json as never })
    channel.open()
  })
  await silent.join(discoveryKey, { announce: true })

  const replica = await tempDir(t)
  const report = await syncDatabase(replica, db.key, { bootstrap: dht.bootstrap, from: ['swarm'], timeoutMs: 20_000, fetchTimeoutMs: 2_000 })
  assert.equal(report.valid, true)
  assert.deepEqual(report.start, { from: 'checkpoint', url: `swarm:${db.swarmKey}`, length: early.length, keys: early.keys, chunks: early.chunks })
  const deaf = report.refused.find((r) => r.url === `swarm:${silent.publicKey}`)
  assert.ok(deaf, `the silent peer is named: ${JSON.stringify(report.refused)}`)
  assert.match(deaf.reason, /did not answer within 2 s/)
})

function internalsOf(db: Database): { index: unknown } {
  return db as unknown as { index: unknown }
}
