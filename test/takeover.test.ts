// Taking over a replica that knew of the last blocks without their data (their upgrade arrived, the
// executor died before the data did): the held bytes rebuild exactly the tree the log had, or nothing
// is cut and the takeover is refused with a clear error.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { LogStore } from '../src/log/store.js'
import { HeldLog } from '../src/failover/held-log.js'
import { appendHeldBlocks, keyPairOf } from '../src/failover/takeover.js'
import { tempDir } from './helpers/databases.js'
import { JOURNAL_FILE, replayJournal } from '../src/log/append-journal.js'
import { BlockJournal } from '../src/log/block-journal.js'

/** A writer's log of four blocks (two appends), and a replica directory holding the upgrade to 4 but the data of 0–1 only. */
async function replicaWithoutTail(t: import('node:test').TestContext) {
  const writerDir = await tempDir(t)
  const writer = new LogStore(writerDir)
  await writer.ready()
  const log = await writer.localIndex()
  await log.append([Buffer.from('a'), Buffer.from('b')])
  await log.append([Buffer.from('c'), Buffer.from('d')])
  const key = log.key.toString('hex')
  const secretKey = new Uint8Array(log.keyPair!.secretKey!)
  const treeHash = Buffer.from(await log.treeHash(4)).toString('hex')
  const dir = await tempDir(t)
  const replica = new LogStore(dir)
  await replica.ready()
  const s1 = writer.corestore.replicate(true) as NodeJS.ReadWriteStream
  const s2 = replica.corestore.replicate(false) as NodeJS.ReadWriteStream
  s1.pipe(s2).pipe(s1)
  const copy = await replica.byPubkey(key)
  await copy.update({ wait: true })
  await copy.download({ start: 0, end: 2 }).done()
  assert.equal(copy.length, 4)
  assert.equal(copy.contiguousLength, 2)
  await replica.close()
  await writer.close()
  return { dir, key, secretKey, treeHash }
}

async function takeOver(dir: string, key: string, secretKey: Uint8Array) {
  const logs = new LogStore(dir)
  await logs.ready()
  const core = await logs.byPubkey(key, keyPairOf(secretKey))
  return { logs, core, run: () => appendHeldBlocks(dir, core) }
}

test('held bytes fill the tail the replica knew of but never got, rebuilding the same tree', async (t) => {
  const r = await replicaWithoutTail(t)
  const { log } = await HeldLog.open(r.dir)
  await log.append({ start: 2, blocks: [Buffer.from('c'), Buffer.from('d')] })
  await log.close()
  const { logs, core, run } = await takeOver(r.dir, r.key, r.secretKey)
  t.after(() => logs.close())
  assert.equal(await run(), true)
  assert.equal(core.length, 4)
  assert.equal(core.contiguousLength, 4)
  assert.equal(Buffer.from(await core.treeHash(4)).toString('hex'), r.treeHash, 'the same tree as the writer signed')
  assert.equal(String(await core.get(3)), 'd')
})

test('held bytes that do not rebuild the tree are refused before anything is cut; a tail not held is a gap', async (t) => {
  const r = await replicaWithoutTail(t)
  const { log } = await HeldLog.open(r.dir)
  await log.append({ start: 2, blocks: [Buffer.from('c'), Buffer.from('X')] })
  await log.close()
  const { logs, core, run } = await takeOver(r.dir, r.key, r.secretKey)
  await assert.rejects(run(), { code: 'TAKEOVER_MISMATCH' })
  assert.equal(core.length, 4, 'nothing was cut')
  assert.equal(core.contiguousLength, 2, 'and nothing was appended')
  await logs.close()

  const other = await replicaWithoutTail(t)
  const held = await HeldLog.open(other.dir)
  await held.log.append({ start: 3, blocks: [Buffer.from('d')] })
  await held.log.close()
  const gap = await takeOver(other.dir, other.key, other.secretKey)
  t.after(() => gap.logs.close())
  await assert.rejects(gap.run(), { code: 'TAKEOVER_GAP' })
  assert.equal(gap.core.length, 4)
})

test("an old executor's journal over a log that went on without it: blocks known only by their signed length are not taken for a disagreement", async (t) => {
  const { dir, key, secretKey } = await replicaWithoutTail(t)
  // Journaled by the old executor (and held by the standby that took over), never appended here.
  const { log } = await BlockJournal.open(path.join(dir, JOURNAL_FILE))
  await log.append({ start: 3, blocks: [Buffer.from('d')] })
  await log.close()
  const { logs, core } = await takeOver(dir, key, secretKey)
  t.after(() => logs.close())
  assert.equal(await replayJournal(dir, core), 0, 'the log is longer already: nothing to append')
  assert.equal(core.length, 4)
  // One the log holds is still compared.
  const { log: again } = await BlockJournal.open(path.join(dir, JOURNAL_FILE))
  await again.compact([{ start: 1, blocks: [Buffer.from('not b')] }])
  await again.close()
  await assert.rejects(replayJournal(dir, core), (err: Error & { code?: string }) => err.code === 'JOURNAL_MISMATCH')
})
