// The handover seal (docs/protocol.md §18): the block of one seal a standby appends when it takes
// over, naming the instance that writes the log from there on. It folds nothing, so every verifier
// reads it as an ordinary seal, and proofs anchored on it hold.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { decodeEntry, encodeEntry, type SealEntry } from '../src/codec/messages.js'
import { expectValid } from './helpers/breaches.js'
import { example, send1, tempDir } from './helpers/databases.js'

test('an executor started with a handover seals one block naming its instance; the log verifies and ops go on', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store') })
  await send1(db, 'put', { key: 'a', value: 1 }, undefined, true)
  const before = db.length
  await db.close()

  const instance = randomBytes(32)
  const next = await Database.load(dir, { executor: { handover: instance } })
  try {
    assert.equal(next.length, before + 1, 'the handover block is one seal')
    const seal = decodeEntry(await readIndex(next, before)) as SealEntry
    assert.equal(seal.type, 'seal')
    assert.equal(seal.length, before)
    assert.deepEqual(Buffer.from(seal.handover!), instance)
    const after = await send1(next, 'put', { key: 'b', value: 2 }, undefined, true)
    assert.equal(after.index, before + 1, 'the next op follows the handover seal')
    const receipt = await next.receipt([after])
    assert.ok(receipt, 'a receipt for an op after the handover')
  } finally {
    await next.close()
  }
  await expectValid(dir)
})

test('a handover seal round-trips the canonical encoding, and a malformed one is refused', () => {
  const seal: SealEntry = {
    type: 'seal', length: 3, treeHash: new Uint8Array(32), stateRoot: new Uint8Array(32), positions: new Uint8Array(32),
    peaks: [new Uint8Array(32), new Uint8Array(32)], signature: new Uint8Array(64), handover: new Uint8Array(32).fill(7),
  }
  assert.deepEqual(decodeEntry(encodeEntry(seal)), seal)
  const short = { ...seal, handover: new Uint8Array(31) }
  assert.throws(() => decodeEntry(encodeEntry(short)), /handover/)
  const { handover: _, ...plainSeal } = seal
  assert.equal('handover' in decodeEntry(encodeEntry(plainSeal as SealEntry)), false, 'an ordinary seal stays without the field')
})

async function readIndex(db: Database, seq: number): Promise<Uint8Array> {
  return (db as unknown as { readIndex(seq: number): Promise<Uint8Array> }).readIndex(seq)
}
