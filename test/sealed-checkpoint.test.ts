// Sealed state checkpoints (docs/protocol.md §17.8): a confidential database keeps its checkpoints
// sealed under the epoch in force at their length. Nothing on disk reads in the clear; a member opens
// one to exactly its seal's state; a non-member, a member removed before it, a changed byte, a part
// moved from another checkpoint and a checkpoint sealed under another epoch are each refused.

import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { xchacha20 } from '@noble/ciphers/chacha.js'
import { blake2b } from '@noble/hashes/blake2.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { Keyring } from '../src/confidential/keyring.js'
import { confidentialSettings } from '../src/confidential/open.js'
import { checkpointPartKey, checkpointPartNonce, openSealedManifest, sealStateCheckpoint, SEALED_STATE_FORMAT, type CheckpointKeys, type SealedManifest } from '../src/confidential/sealed-checkpoint.js'
import { sealBytes } from '../src/confidential/envelope.js'
import { checkpointsDir, chunkFile, readChunk, readManifest } from '../src/state/checkpoint/checkpoint-files.js'
import { openStateCheckpoint } from '../src/state/checkpoint/state-checkpoint.js'
import { verifyBatch } from '../src/verify/batch/index.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { keptCheckpointText } from './helpers/confidential.js'
import { example, send1, tempDir, withoutExecutor } from './helpers/databases.js'

const SECRET = 'orchid-5521-sealed'


/** The keyring an oplog's key pair opens, for `fn`. */
async function keyringOf<T>(dir: string, oplogName: string, fn: (keyring: Keyring) => Promise<T>): Promise<T> {
  const logs = new LogStore(dir, { readOnly: true })
  await logs.ready()
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
    const settings = (await confidentialSettings(await logs.byPubkey(manifest.key)))!
    const keyring = new Keyring(await logs.byPubkey(settings.keys))
    const kp = (await logs.localOplog(oplogName)).keyPair!
    keyring.addIdentity({ publicKey: kp.publicKey, secretKey: kp.secretKey! })
    await keyring.refresh()
    return await fn(keyring)
  } finally {
    await logs.close()
  }
}

const open = (dir: string, key: string, length: number, keys?: CheckpointKeys) =>
  readManifest(dir, length).then((m) => openStateCheckpoint(m, key, (i) => readChunk(dir, length, i), keys ? { keys } : {}))

test('a confidential database keeps its state checkpoints sealed; a member opens one to its seal, a non-member cannot', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice', 'bob'], confidential: { rotateEvery: 6 } })
  t.after(() => db.close())
  await send1(db, 'claimAdmin', {}, 'alice', true)
  for (let i = 0; i < 9; i++) await send1(db, 'put', { key: `k${i}`, value: `${SECRET}-${i}` }, i % 2 ? 'bob' : 'alice', true)
  const written = await db.writeStateCheckpoint(4)
  assert.equal(written.sealed, true)
  const { length, chunks } = written.manifest
  assert.ok(chunks >= 3, `several chunks (${chunks})`)
  assert.ok(!(await keptCheckpointText(dir)).includes(SECRET), 'no value is kept in the clear')
  const kept = (await readManifest(dir, length)) as SealedManifest
  assert.equal(kept.format, SEALED_STATE_FORMAT)
  assert.deepEqual(Object.keys(kept).sort(), ['chunks', 'database', 'epoch', 'format', 'length', 'sealed'])
  assert.ok(kept.epoch >= 1, 'rotated epochs: the checkpoint names the one in force at its length')

  await assert.rejects(open(dir, db.key, length), { code: 'CHECKPOINT_SEALED' }, 'without keys it is refused by name')
  // bob, a member, opens it to the state the seal signs.
  const { stateRoot } = await db.checkpoint()
  await keyringOf(dir, 'bob', async (bob) => {
    assert.equal(bob.epochAt(length), kept.epoch)
    const opened = await open(dir, db.key, length, bob)
    assert.equal(Buffer.from(opened.seal.stateRoot).toString('hex'), stateRoot)
    assert.equal(Buffer.from(opened.state.root()).toString('hex'), stateRoot)
    assert.deepEqual(opened.state.get('/values/k8'), `${SECRET}-8`)
    assert.deepEqual(opened.manifest, (await db.stateCheckpoint(4)).manifest, 'the clear manifest is the one sealed')
  })
})

test('a changed byte, a chunk moved from another checkpoint, and a checkpoint sealed under another epoch are refused', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], confidential: { rotateEvery: 4 } })
  t.after(() => db.close())
  await send1(db, 'claimAdmin', {}, 'alice', true)
  for (let i = 0; i < 6; i++) await send1(db, 'put', { key: `k${i}`, value: i }, 'alice', true)
  const first = (await db.writeStateCheckpoint(2)).manifest.length
  await send1(db, 'put', { key: 'later', value: 1 }, 'alice', true)
  const second = (await db.writeStateCheckpoint(2)).manifest.length
  const keyring = db.confidential!.keyring
  assert.ok((await open(dir, db.key, first, keyring)).state.size > 0, 'both open as written')
  assert.ok((await open(dir, db.key, second, keyring)).state.size > 0)
  const chunkPath = (length: number, i: number) => path.join(checkpointsDir(dir), String(length), chunkFile(i))
  const original = await readFile(chunkPath(first, 1), 'utf8')

  // One ciphertext byte changed.
  const chunk = JSON.parse(original) as { index: number; sealed: string }
  const at = chunk.sealed.length - 2
  await writeFile(chunkPath(first, 1), JSON.stringify({ ...chunk, sealed: chunk.sealed.slice(0, at) + (chunk.sealed[at] === '0' ? '1' : '0') + chunk.sealed.slice(at + 1) }))
  await assert.rejects(open(dir, db.key, first, keyring), (err: Error & { code?: string }) => err.code === 'CHECKPOINT_INVALID' && /chunk 1 does not open/.test(err.message))
  // Chunk 1 of the later checkpoint, sealed under the same epoch key: its part key is another length's.
  await writeFile(chunkPath(first, 1), await readFile(chunkPath(second, 1), 'utf8'))
  await assert.rejects(open(dir, db.key, first, keyring), /chunk 1 does not open/)
  await writeFile(chunkPath(first, 1), original)
  assert.ok((await open(dir, db.key, first, keyring)).state.size > 0, 'put back, it opens again')

  // The same checkpoint sealed by its writer under an epoch older than the one in force at its length.
  const inForce = keyring.epochAt(first)
  assert.ok(inForce >= 1)
  const clear = await db.stateCheckpoint(2)
  assert.equal(clear.manifest.length, second)
  const stale: CheckpointKeys = { refresh: () => keyring.refresh(), epochAt: () => 0, keyOf: (e) => keyring.keyOf(e) }
  const old = await sealStateCheckpoint(clear, stale)
  assert.equal(old.manifest.epoch, 0)
  await assert.rejects(openSealedManifest(old.manifest, db.key, keyring), /sealed under epoch 0, not under epoch \d+, the one in force/)
  // A wrapper that names another database, or a clear envelope, is refused too.
  await assert.rejects(openSealedManifest({ ...old.manifest, database: 'ab'.repeat(32) }, db.key, keyring), /of database abab/)
  const sealedAsClear = { ...old.manifest, epoch: keyring.epochAt(second), sealed: sealBytes(new TextEncoder().encode(JSON.stringify(clear.manifest)), checkpointPartKey(db.key, second), null).toString('hex') }
  await assert.rejects(openSealedManifest(sealedAsClear, db.key, keyring), /its envelope is clear/)
})

test('a member removed before a checkpoint\'s length holds no key to open it; the remaining members do', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice', 'bob'], confidential: {} })
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await send1(db, 'put', { key: 'shared', value: 'bob may read this' }, 'alice', true)
  const before = (await db.writeStateCheckpoint()).manifest.length
  await db.close()
  await withoutExecutor(dir, async (d) => {
    await d.call('removeParticipant', { pubkey: d.oplogs.bob }, { as: 'alice' })
    await d.call('put', { key: 'after', value: SECRET }, { as: 'alice' })
  })
  const reopened = await Database.load(dir)
  await reopened.settled()
  const after = (await reopened.writeStateCheckpoint()).manifest.length
  const key = reopened.key
  await reopened.close()

  await keyringOf(dir, 'bob', async (bob) => {
    assert.ok((await open(dir, key, before, bob)).state.size > 0, 'bob opens the checkpoint taken while he was a member')
    await assert.rejects(open(dir, key, after, bob), (err: Error & { code?: string }) => err.code === 'CHECKPOINT_SEALED' && /whose key this directory does not hold/.test(err.message))
  })
  await keyringOf(dir, 'alice', async (alice) => {
    const opened = await open(dir, key, after, alice)
    assert.deepEqual(opened.state.get('/values/after'), SECRET)
  })
})

test('scheduled checkpoints of a confidential database are sealed, and batch validation on a member\'s directory opens them', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], confidential: {}, checkpointEvery: 4, executor: { blockSize: 1 } })
  await send1(db, 'claimAdmin', {}, 'alice', true)
  for (let i = 0; i < 8; i++) await send1(db, 'put', { key: `k${i}`, value: `${SECRET}-${i}` }, 'alice', true)
  await db.checkpointsWritten()
  await db.close()
  const lengths = (await readdir(checkpointsDir(dir))).filter((n) => /^\d+$/.test(n))
  assert.ok(lengths.length >= 2, `checkpoints taken on the schedule: ${lengths.join(', ')}`)
  for (const l of lengths) assert.equal(((await readManifest(dir, Number(l))) as SealedManifest).format, SEALED_STATE_FORMAT)
  assert.ok(!(await keptCheckpointText(dir)).includes(SECRET))
  const full = await verifyDirectory(dir)
  const batch = await verifyBatch(dir, { jobs: 2, isolation: 'thread' })
  assert.equal(batch.valid, true, JSON.stringify(batch.breach))
  assert.equal(batch.stateRoot, full.stateRoot)
  assert.ok(batch.segments.length >= 3, `segments from the sealed checkpoints (${batch.segments.length})`)
})

interface PartCase {
  name: string
  length: number
  epoch: number
  plaintext: string
  partKey: string
  nonce: string
  sealed: string
}
const vectors = JSON.parse(await readFile(path.join(process.cwd(), 'test', 'vectors', 'sealed-checkpoint.json'), 'utf8')) as { epochKey: string; database: string; cases: PartCase[] }

for (const c of vectors.cases) {
  test(`sealed checkpoint vector: ${c.name}`, () => {
    const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'))
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts))
    const utf8 = (s: string) => new TextEncoder().encode(s)
    const epochKey = bytes(vectors.epochKey)
    const plaintext = utf8(c.plaintext)
    // From the protocol's words (§17.8 over §17.2), with @noble, not through the implementation.
    const at = new Uint8Array(8)
    new DataView(at.buffer).setBigUint64(0, BigInt(c.length))
    const partKey = blake2b(cat(utf8('glassbox/state-checkpoint'), bytes(vectors.database), at), { dkLen: 32 })
    const nonce = blake2b(cat(utf8('glassbox/state-checkpoint-nonce'), partKey, plaintext), { key: epochKey, dkLen: 24 })
    const key = blake2b(cat(utf8('glassbox/block-key'), partKey, nonce), { key: epochKey, dkLen: 32 })
    const ciphertext = xchacha20(key, nonce, plaintext)
    const epoch = new Uint8Array(4)
    new DataView(epoch.buffer).setUint32(0, c.epoch)
    const mac = blake2b(cat(utf8('glassbox/block-mac'), epoch, ciphertext), { key, dkLen: 32 })
    assert.equal(hex(cat(Uint8Array.from([1, 0, 0, 0]), epoch, nonce, mac, ciphertext)), c.sealed, 'the vector is what the protocol describes')
    assert.equal(hex(checkpointPartKey(vectors.database, c.length)), c.partKey)
    assert.equal(hex(checkpointPartNonce(epochKey, partKey, plaintext)), c.nonce)
    assert.equal(hex(sealBytes(plaintext, partKey, { epoch: c.epoch, epochKey, nonce })), c.sealed, 'the implementation writes it')
  })
}
