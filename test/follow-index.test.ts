// A participant's index follower (src/participant/follow-index.ts) folds entries in order but asks
// for every announced entry at once: a follower that asked for one entry per round trip fell behind
// for good at 1,000 ops/s from a remote participant (docs/benchmarks.md). It reports each block it
// folds: one that reported only once it had nothing left to fold kept every ack waiting while the
// log grew.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type Hypercore from 'hypercore'
import { decodeEntry } from '../src/codec/messages.js'
import { LogStore } from '../src/log/store.js'
import { IndexFollower } from '../src/participant/follow-index.js'
import { IndexState } from '../src/state/index-state.js'
import { ContractVM } from '../src/vm/index.js'
import { example, honestDir, send1, tempDir } from './helpers/databases.js'

/** Two stores replicating over an in-process pipe; the returned function cuts the pipe. */
function connect(a: LogStore, b: LogStore): () => void {
  const s1 = a.corestore.replicate(true) as NodeJS.ReadWriteStream & { destroy(): void }
  const s2 = b.corestore.replicate(false) as NodeJS.ReadWriteStream & { destroy(): void }
  s1.pipe(s2).pipe(s1)
  return () => {
    s1.destroy()
    s2.destroy()
  }
}

async function openStore(t: import('node:test').TestContext, dir?: string): Promise<LogStore> {
  const store = new LogStore(dir ?? (await tempDir(t)))
  await store.ready()
  t.after(() => store.close())
  return store
}

/** Resolves once `core` holds every block in [start, end). */
async function holds(core: Hypercore, start: number, end: number): Promise<void> {
  const missing = async () => {
    for (let i = start; i < end; i++) if (!(await core.has(i))) return true
    return false
  }
  while (await missing()) await new Promise((resolve) => core.once('download', resolve))
}

/** A database's history, and a peer holding only blocks [start, end) of its index log (of `length`). */
async function historyAndPartialPeer(t: import('node:test').TestContext, range: (index: Hypercore) => Promise<{ start: number; end: number }>) {
  const contract = await example('kv-store')
  const dir = await honestDir(t, { contract, oplogs: ['main'] }, async (db) => {
    await send1(db, 'claimAdmin', {}, 'main', true)
    for (let i = 0; i < 8; i++) await send1(db, 'put', { key: `k${i}`, value: i }, 'main', true)
  })
  const writer = await openStore(t, dir)
  const index = await writer.localIndex()
  const key = index.key.toString('hex')
  const { start, end } = await range(index)
  const partial = await openStore(t)
  const cut = connect(writer, partial)
  const held = await partial.byPubkey(key)
  await held.update({ wait: true })
  await held.download({ start, end }).done()
  cut()
  return { contract, writer, partial, key, length: index.length }
}

/** A follower on a fresh replica whose only peer is `peer`; `folded` counts what it reported. */
async function followerOf(t: import('node:test').TestContext, peer: LogStore, key: string, contract: string) {
  const replica = await openStore(t)
  connect(peer, replica)
  const copy = await replica.byPubkey(key)
  await copy.update({ wait: true })
  const view = new IndexState()
  const holder = { vm: await ContractVM.create(contract) }
  const reports: number[] = []
  const advanced: Array<() => void> = []
  const follower = new IndexFollower(copy, view, holder, (n) => {
    reports.push(n)
    for (const wake of advanced.splice(0)) wake()
  })
  t.after(async () => {
    await follower.stop()
    holder.vm.dispose()
  })
  follower.start()
  const reported = async (total: number) => {
    while (reports.reduce((a, b) => a + b, 0) < total) await new Promise<void>((resolve) => advanced.push(resolve))
  }
  return { replica, copy, view, follower, reported }
}

test('a follower stuck on an entry no peer serves still fetches the entries after it', async (t) => {
  const { contract, writer, partial, key, length } = await historyAndPartialPeer(t, async (index) => ({ start: 5, end: index.length }))
  // A follower whose only peer holds the tail of the log but not its first entries.
  const { replica, copy, view, follower, reported } = await followerOf(t, partial, key, contract)
  assert.equal(copy.length, length)
  // Before, the follower asked for entry 0 alone and waited: this never resolved.
  await holds(copy, 5, length)
  assert.equal(view.length, 0, 'nothing folded past the entry that has not come')
  // Once a peer serves the head of the log, everything folds, in order.
  connect(writer, replica)
  await reported(length)
  assert.equal(view.length, length)
  assert.equal(follower.failure, null)
})

test('a follower reports each block it folds, not only once it has caught up', async (t) => {
  let sealAt = -1
  const { contract, writer, partial, key, length } = await historyAndPartialPeer(t, async (index) => {
    // The peer holds the log up to a seal in its middle; the rest keeps coming later.
    for (let i = Math.floor(index.length / 2); sealAt < 0; i++) if (decodeEntry((await index.get(i))!).type === 'seal') sealAt = i
    return { start: 0, end: sealAt + 1 }
  })
  const { replica, view, follower, reported } = await followerOf(t, partial, key, contract)
  // Before, the follower reported only when it had folded all the log it knew of: a call acked in
  // the blocks it holds waited as long as the rest of the log took to come.
  await reported(sealAt + 1)
  assert.equal(view.length, sealAt + 1)
  connect(writer, replica)
  await reported(length)
  assert.equal(view.length, length)
  assert.equal(follower.failure, null)
})
