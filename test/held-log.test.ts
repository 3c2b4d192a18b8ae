// The standby's held blocks on disk (failover/held-log.ts): a torn record from a crash mid-append is
// dropped (it was never answered "held"), a block forwarded again replaces what was held from its
// start, compaction keeps what the replica does not hold, and a gap refuses the takeover.

import assert from 'node:assert/strict'
import { appendFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { HELD_FILE, HeldLog, readHeld, supersede, type HeldBlock } from '../src/failover/held-log.js'
import { heldBeyond } from '../src/failover/standby.js'
import { tempDir } from './helpers/databases.js'

const block = (start: number, ...names: string[]): HeldBlock => ({ start, blocks: names.map((n) => Buffer.from(n)) })
const plain = (held: HeldBlock[]) => held.map((h) => ({ start: h.start, blocks: h.blocks.map(String) }))

test('held blocks survive a reopen, a torn tail is dropped, and appends go on after it', async (t) => {
  const dir = await tempDir(t)
  const { log } = await HeldLog.open(dir)
  await log.append(block(5, 'a', 'b'))
  await log.append(block(7, 'c'))
  await log.close()
  // A crash in the middle of the next record's write.
  await appendFile(path.join(dir, HELD_FILE), Buffer.from([0, 0, 0, 40, 1, 2, 3]))
  assert.deepEqual(plain(await readHeld(dir)), [{ start: 5, blocks: ['a', 'b'] }, { start: 7, blocks: ['c'] }])
  const reopened = await HeldLog.open(dir)
  assert.deepEqual(plain(reopened.held), [{ start: 5, blocks: ['a', 'b'] }, { start: 7, blocks: ['c'] }])
  await reopened.log.append(block(8, 'd'))
  await reopened.log.close()
  assert.deepEqual(plain(await readHeld(dir)).map((h) => h.start), [5, 7, 8], 'the record after the torn one reads back')
})

test('a block forwarded again replaces what was held from its start on', () => {
  let held = [block(5, 'a', 'b', 'c'), block(8, 'd')]
  held = supersede(held, block(6, 'B', 'C'))
  assert.deepEqual(plain(held), [{ start: 5, blocks: ['a'] }, { start: 6, blocks: ['B', 'C'] }])
})

test('compaction keeps only what is asked, and the takeover refuses a gap', async (t) => {
  const dir = await tempDir(t)
  const { log } = await HeldLog.open(dir)
  for (let i = 0; i < 4; i++) await log.append(block(10 + i, `x${i}`))
  const before = (await stat(path.join(dir, HELD_FILE))).size
  await log.compact([block(13, 'x3')])
  await log.close()
  assert.ok((await stat(path.join(dir, HELD_FILE))).size < before)
  assert.deepEqual(plain(await readHeld(dir)), [{ start: 13, blocks: ['x3'] }])
  assert.deepEqual(plain(heldBeyond([block(10, 'a', 'b'), block(12, 'c')], 11)), [{ start: 11, blocks: ['b'] }, { start: 12, blocks: ['c'] }])
  assert.throws(() => heldBeyond([block(13, 'x3')], 11), { code: 'TAKEOVER_GAP' })
})
