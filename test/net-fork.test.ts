// A peer that serves a forked index log is caught during replication, with the same breach class
// as a rewrite found in local logs. Two kinds of fork: a rewrite (the writer truncates and appends
// other entries, re-signing the seals: Hypercore lets a replica follow such a reorg, and the
// monitor's checkpoint catches it), and two logs that grew apart from one copy (the same length
// signed twice with no truncation between, as after a restored backup or a lost write: Hypercore
// refuses the second and the monitor reports what the peer signed).

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { cp } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { decodeEntry, encodeEntry, type OpEntry } from '../src/codec/messages.js'
import { rewriteSealed } from '../src/demo/dishonest.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import { openRemoteMonitor, verifyRemote, verifyToHead } from '../src/net/remote-monitor.js'
import { replicateDatabase } from '../src/net/replicate-database.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { Executor } from '../src/executor/executor.js'
import { loadState } from '../src/state/store/load-state.js'
import { ContractVM, DEFAULT_LIMITS } from '../src/vm/index.js'
import { example, send1, tempDir, withoutExecutor } from './helpers/databases.js'

let dht: BootstrapNodes
before(async () => {
  dht = await startBootstrapNodes()
})
after(async () => {
  await dht.close()
})

/** Serves the logs of `dir` on the network as they are (no executor), until the returned close. */
async function serveLogs(dir: string, key: string, oplogs: string[]): Promise<() => Promise<void>> {
  const logs = new LogStore(dir, { copied: true })
  await logs.ready()
  const index = await logs.byPubkey(key)
  for (const pubkey of oplogs) await logs.byPubkey(pubkey)
  const { replicator } = await replicateDatabase(logs, index, { bootstrap: dht.bootstrap, announce: true })
  return async () => {
    await replicator.close()
    await logs.close()
  }
}

/** A database of three ops, and a copy whose last op entry is rewritten and re-sealed with its key pair. */
async function honestAndRewritten(t: TestContext): Promise<{ honest: string; forked: string; key: string; oplogs: string[] }> {
  const honest = await tempDir(t)
  const db = await Database.create(honest, { contract: await example('counter') })
  let at = -1
  try {
    for (let i = 0; i < 3; i++) at = (await send1(db, 'increment', {}, undefined, true)).index
  } finally {
    await db.close()
  }
  const key = db.key
  const oplogs = Object.values(db.oplogs)

  // The fork: a copy whose last op entry says another time, re-sealed with the index key pair.
  const forked = await tempDir(t)
  await cp(honest, forked, { recursive: true })
  const copy = new LogStore(forked, { copied: true })
  await copy.ready()
  const index = await copy.byPubkey(key)
  const tail = []
  for (let i = at; i < index.length; i++) tail.push((await index.get(i))!)
  const entry = decodeEntry(tail[0]) as OpEntry
  tail[0] = encodeEntry({ ...entry, ack: { ...entry.ack, ts: entry.ack.ts + 1 } })
  await rewriteSealed(index, at, tail)
  assert.equal(index.length, at + tail.length, 'the fork has the same length as the original')
  await copy.close()
  return { honest, forked, key, oplogs }
}

test('a fork served by a peer is reported as index-rewritten, as a local rewrite is', async (t) => {
  const { honest, forked, key, oplogs } = await honestAndRewritten(t)

  // A monitor replicates the honest log and verifies it, keeping its replica and checkpoint.
  const replica = await tempDir(t)
  const checkpointPath = path.join(replica, 'monitor.json')
  const stopHonest = await serveLogs(honest, key, oplogs)
  const first = await verifyRemote(replica, key, { bootstrap: dht.bootstrap, checkpointPath })
  await stopHonest()
  assert.equal(first.valid, true, JSON.stringify(first.breach))

  // The same monitor meets the rewrite: its replica follows the reorg, and its checkpoint says no.
  const stopFork = await serveLogs(forked, key, oplogs)
  t.after(stopFork)
  const second = await verifyRemote(replica, key, { bootstrap: dht.bootstrap, checkpointPath, timeoutMs: 20_000 })
  assert.equal(second.valid, false)
  assert.equal(second.breach?.class, 'index-rewritten')
  assert.equal(second.breach?.evidence.after?.length, first.length)
  assert.notEqual(second.breach?.evidence.after?.hash, second.breach?.evidence.before?.hash)

  // Locally, the same rewrite under a monitor's checkpoint gets the same class.
  const local = await tempDir(t)
  await cp(honest, local, { recursive: true })
  const localCheckpoint = path.join(local, 'monitor.json')
  assert.equal((await verifyDirectory(local, { checkpointPath: localCheckpoint })).valid, true)
  await cp(path.join(forked, 'cores'), path.join(local, 'cores'), { recursive: true, force: true })
  const rewritten = await verifyDirectory(local, { checkpointPath: localCheckpoint })
  assert.equal(rewritten.breach?.class, second.breach?.class)
})

test('a rewrite the replica follows only while the head is asked once more is verified, not passed over', async (t) => {
  const { honest, forked, key, oplogs } = await honestAndRewritten(t)
  const replica = await tempDir(t)
  const checkpointPath = path.join(replica, 'monitor.json')
  const stopHonest = await serveLogs(honest, key, oplogs)
  assert.equal((await verifyRemote(replica, key, { bootstrap: dht.bootstrap, checkpointPath })).valid, true)

  // The next one-shot verify passes the honest replica first; the peer's rewrite reaches it only
  // once that pass is over, while the head is asked once more (the fault injected: that timing).
  const m = await openRemoteMonitor(replica, key, { bootstrap: dht.bootstrap, checkpointPath, timeoutMs: 20_000 })
  const settle = m.remote.settle
  let stopFork = async () => {}
  m.remote.settle = async () => {
    await stopHonest()
    const reorganized = once(m.remote.logs.index, 'truncate')
    stopFork = await serveLogs(forked, key, oplogs)
    await reorganized
    await settle()
  }
  t.after(() => stopFork())
  const report = await verifyToHead(m)
  assert.equal(report.valid, false, 'the pass over the honest replica no longer stands once it followed the rewrite')
  assert.equal(report.breach?.class, 'index-rewritten')
})

/**
 * Runs the executor on a copy of a database directory until the pending ops are processed: an
 * honest execution, but with its own clock and block size, so two copies sign different entries.
 */
async function executeCopy(dir: string, key: string, now: number, blockSize: number): Promise<number> {
  const logs = new LogStore(dir, { copied: true })
  await logs.ready()
  const index = await logs.byPubkey(key)
  const { view, store } = await loadState(dir, index)
  const holder = { vm: await ContractVM.create(view.source) }
  const executor = new Executor(index, view, logs, holder, DEFAULT_LIMITS.maxOpBytes, { now: () => now, blockSize })
  try {
    await executor.start()
    await executor.idle()
    return index.length
  } finally {
    await executor.stop()
    holder.vm.dispose()
    await store?.close()
    await logs.close()
  }
}

test('two logs grown apart from one copy: the peer serving the other is refused and reported', async (t) => {
  const original = await tempDir(t)
  const db = await Database.create(original, { contract: await example('counter') })
  await db.close()
  await withoutExecutor(original, async (d) => {
    await d.call('increment', {})
    await d.call('increment', {})
  })
  const key = db.key
  const oplogs = Object.values(db.oplogs)
  const other = await tempDir(t)
  await cp(original, other, { recursive: true })
  const length = await executeCopy(original, key, 1000, 256)
  assert.ok((await executeCopy(other, key, 2000, 1)) > length, 'the other copy signs a longer log over the same ops')

  const replica = await tempDir(t)
  const stopOriginal = await serveLogs(original, key, oplogs)
  const first = await verifyRemote(replica, key, { bootstrap: dht.bootstrap })
  await stopOriginal()
  assert.equal(first.valid, true, JSON.stringify(first.breach))
  assert.equal(first.length, length)

  // Both logs are honest executions; the replica holds one, and a peer serves the other.
  const stopOther = await serveLogs(other, key, oplogs)
  t.after(stopOther)
  const second = await verifyRemote(replica, key, { bootstrap: dht.bootstrap, timeoutMs: 20_000 })
  assert.equal(second.breach?.class, 'index-rewritten')
  assert.match(second.breach?.message ?? '', /a peer served the index log/)
  assert.equal(second.breach?.evidence.after?.length, length)
  assert.ok(second.breach?.evidence.after?.signature, 'the notice carries the signature the peer sent')
})
