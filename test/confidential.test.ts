// Confidential databases (docs/protocol.md §17): entries and ops are stored sealed under epoch keys
// only members hold; the header and the seals stay clear. Members run, read and verify exactly as in
// the clear; a member removed by the contract holds no key for anything sealed after its removal.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { ENVELOPE_BYTES, envelopeHead } from '../src/confidential/envelope.js'
import { Keyring } from '../src/confidential/keyring.js'
import { confidentialSettings } from '../src/confidential/open.js'
import { decodeEntry } from '../src/codec/messages.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { example, send1, tempDir } from './helpers/databases.js'

const SECRET = 'tulip-7731-confidential'

/** Every stored block of a log, as Hypercore keeps it (envelope included). */
async function rawBlocks(dir: string, pubkey: string): Promise<Buffer[]> {
  const logs = new LogStore(dir, { readOnly: true })
  await logs.ready()
  try {
    const core = await logs.byPubkey(pubkey)
    const out: Buffer[] = []
    for (let i = 0; i < core.length; i++) out.push((await core.get(i, { raw: true }))!)
    return out
  } finally {
    await logs.close()
  }
}

test('a confidential database runs, reads and verifies as in the clear, and stores no value in the clear', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice', 'bob'], confidential: {} })
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await send1(db, 'put', { key: 'flower', value: SECRET }, 'alice', true)
  await send1(db, 'put', { key: 'tree', value: 'oak' }, 'bob', true)
  assert.equal((await db.call('get', { key: 'flower' })).response, SECRET)
  const { key, oplogs } = db
  await db.close()

  const reopened = await Database.load(dir)
  assert.equal((await reopened.call('get', { key: 'flower' })).response, SECRET, 'read back after reopening')
  await send1(reopened, 'put', { key: 'flower', value: 'rose' }, 'bob', true)
  await reopened.close()

  for (const pubkey of [key, ...Object.values(oplogs)]) {
    for (const block of await rawBlocks(dir, pubkey)) assert.ok(!block.includes(SECRET), 'no value is stored in the clear')
  }
  // The index: only the header and the seals are clear; every other entry is sealed.
  const index = await rawBlocks(dir, key)
  const clear = index.filter((b) => !envelopeHead(b).sealed).map((b) => decodeEntry(b.subarray(ENVELOPE_BYTES)).type)
  assert.equal(clear[0], 'header')
  assert.ok(clear.slice(1).every((type) => type === 'seal'))
  assert.ok(index.filter((b) => envelopeHead(b).sealed).length >= 4 + 4, 'the genesis entries and the op entries are sealed')
  // Ops: every block is sealed.
  for (const block of await rawBlocks(dir, oplogs.alice)) assert.equal(envelopeHead(block).sealed, true)

  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.equal(report.length, index.length)
})
