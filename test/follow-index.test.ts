// A participant's index follower (src/participant/follow-index.ts) folds entries in order but asks
// for every announced entry at once: a follower that asked for one entry per round trip fell behind
// for good at 1,000 ops/s from a remote participant (docs/benchmarks.md).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type Hypercore from 'hypercore'
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

test('a follower stuck on an entry no peer serves still fetches the entries after it', async (t) => {
  const contract = await example('kv-store')
  const dir = await honestDir(t, { contract, oplogs: ['main'] }, async (db) => {
    await send1(db, 'claimAdmin', {}, 'main', true)
    for (let i = 0; i < 8; i++) await send1(db, 'put', { key: `k${i}`, value: i }, 'main', true)
  })
  const writer = await openStore(t, dir)
  const index = await writer.localIndex()
  const length = index.length
  const key = index.key.toString('hex')
  // A peer holding the tail of the log but not its first entries.
  const partial = await openStore(t)
  const cut = connect(writer, partial)
  const tail = await partial.byPubkey(key)
  await tail.update({ wait: true })
  await tail.download({ start: 5, end: length }).done()
  cut()
  // A follower whose only peer is that one: its first entry cannot come yet.
  const replica = await openStore(t)
  connect(partial, replica)
  const copy = await replica.byPubkey(key)
  await copy.update({ wait: true })
  assert.equal(copy.length, length)
  const view = new IndexState()
  const holder = { vm: await ContractVM.create(contract) }
  let folded = 0
  const advanced: Array<() => void> = []
  const follower = new IndexFollower(copy, view, holder, (n) => {
    folded += n
    for (const wake of advanced.splice(0)) wake()
  })
  t.after(async () => {
    await follower.stop()
    holder.vm.dispose()
  })
  follower.start()
  // Before, the follower asked for entry 0 alone and waited: this never resolved.
  await holds(copy, 5, length)
  assert.equal(view.length, 0, 'nothing folded past the entry that has not come')
  // Once a peer serves the head of the log, everything folds, in order.
  connect(writer, replica)
  while (folded < length) await new Promise<void>((resolve) => advanced.push(resolve))
  assert.equal(view.length, length)
  assert.equal(follower.failure, null)
})
