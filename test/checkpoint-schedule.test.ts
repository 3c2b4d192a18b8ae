// The checkpoint schedule (docs/protocol.md §14.1): with checkpointEvery K the executor keeps a
// state checkpoint at the first seal at or after each multiple of K, and a restart (clean or after
// a crash that lost a checkpoint) neither skips a multiple nor takes a second one for it.

import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { checkpointsDir, listStateCheckpoints } from '../src/state/checkpoint/checkpoint-files.js'
import { CheckpointSchedule } from '../src/state/checkpoint/checkpoint-schedule.js'
import { readManifest } from '../src/log/manifest.js'
import { example, send1, tempDir } from './helpers/databases.js'

async function puts(db: Database, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) await send1(db, 'put', { key: `k${i}`, value: i }, 'alice', true)
}

test('the schedule is due at the first length at or after each multiple of K', () => {
  const s = new CheckpointSchedule(10, [])
  assert.equal(s.due(4), false)
  assert.equal(s.due(10), true)
  s.taken(11)
  assert.equal(s.due(19), false)
  assert.equal(s.due(20), true)
  const resumed = new CheckpointSchedule(10, [4, 23])
  assert.equal(resumed.due(29), false, 'the multiple 20 has its checkpoint (at 23)')
  assert.equal(resumed.due(31), true)
  assert.throws(() => new CheckpointSchedule(0, []), /whole number >= 1/)
})

test('checkpoints appear at the first seal at or after each multiple of K, and a restart skips and repeats none', async (t) => {
  const dir = await tempDir(t)
  // One op per block: op, then seal. Genesis is entries 0..3 and its seal at 4; op n's seal sits at 6 + 2n.
  let db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], checkpointEvery: 10 })
  assert.equal((await readManifest(dir))?.checkpointEvery, 10)
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await puts(db, 0, 10) // seals at 8, 10, …, 26
  await db.checkpointsWritten()
  assert.deepEqual(await listStateCheckpoints(dir), [10, 20])
  await db.close()

  // A crash between the seal at 20 and its checkpoint: the checkpoint is not on disk.
  await rm(path.join(checkpointsDir(dir), '20'), { recursive: true })
  db = await Database.load(dir)
  await db.checkpointsWritten()
  assert.deepEqual(await listStateCheckpoints(dir), [10, 26], 'the missed multiple is taken at the head the database reopened at')
  await puts(db, 10, 3) // seals at 28, 30, 32
  await db.checkpointsWritten()
  assert.deepEqual(await listStateCheckpoints(dir), [10, 26, 30])
  await db.close()

  // A clean restart with nothing due takes nothing.
  db = await Database.load(dir)
  await puts(db, 13, 3) // seals at 34, 36, 38
  await db.checkpointsWritten()
  assert.deepEqual(await listStateCheckpoints(dir), [10, 26, 30])
  await db.close()

  // serve --checkpoint-every overrides the manifest for one run.
  db = await Database.load(dir, { checkpointEvery: 4 })
  await puts(db, 16, 1) // seal at 40
  await db.checkpointsWritten()
  assert.deepEqual(await listStateCheckpoints(dir), [10, 26, 30, 38, 40], 'at 4: due at the head (38 >= 32) on open, then at 40')
  await db.close()
})

test('without checkpointEvery nothing is written', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'] })
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await puts(db, 0, 12)
  await db.close()
  assert.deepEqual(await listStateCheckpoints(dir), [])
  assert.equal((await readManifest(dir))?.checkpointEvery, undefined)
})

test('glassbox init --checkpoint-every K keeps the schedule in the manifest; a bad K is a usage error', async (t) => {
  const { glassbox } = await import('./helpers/cli.js')
  const { writeFile } = await import('node:fs/promises')
  const cwd = await tempDir(t)
  await writeFile(path.join(cwd, 'kv.js'), await example('kv-store'))
  const ok = await glassbox(['init', 'kv.js', '--dir', 'd', '--checkpoint-every', '6', '--json'], cwd)
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(JSON.parse(ok.stdout).checkpointEvery, 6)
  assert.equal((await readManifest(path.join(cwd, 'd')))?.checkpointEvery, 6)
  for (let i = 0; i < 2; i++) assert.equal((await glassbox(['call', 'put', '--key', `k${i}`, '--value', 'v', '--dir', 'd'], cwd)).code, 0)
  assert.deepEqual(await listStateCheckpoints(path.join(cwd, 'd')), [6], 'genesis seals at 4, the puts at 6 and 8')
  const bad = await glassbox(['init', 'kv.js', '--dir', 'e', '--checkpoint-every', 'x'], cwd)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--checkpoint-every must be a whole number/)
})
