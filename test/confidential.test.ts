// Confidential databases (docs/protocol.md §17): entries and ops are stored sealed under epoch keys
// only members hold; the header and the seals stay clear. Members run, read and verify exactly as in
// the clear; a member removed by the contract holds no key for anything sealed after its removal.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { ENVELOPE_BYTES, envelopeHead, sealBytes } from '../src/confidential/envelope.js'
import { OP_UNOPENED, sealOp } from '../src/confidential/op-envelope.js'
import { Keyring } from '../src/confidential/keyring.js'
import { encodeEpoch, makeEpoch, newEpochKey } from '../src/confidential/epochs.js'
import { confidentialSettings, directoryIdentities, openConfidential } from '../src/confidential/open.js'
import { checkSeals } from '../src/confidential/seal-check.js'
import { isClearEntry } from '../src/confidential/index-encryption.js'
import { decodeEntry, encodeEntry, encodeOp, type OpEntry, type SealEntry } from '../src/codec/messages.js'
import type { ExecutionProof } from '../src/verify/fraud-proof.js'
import { judge } from '../src/verify/judge.js'
import { startHttpApi } from '../src/net/http/server.js'
import { checkProof } from '../src/participant/check-proof.js'
import { sealBlock } from '../src/executor/seal-block.js'
import { currentPeaks } from '../src/log/accumulator-log.js'
import { currentRoots } from '../src/log/merkle.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { example, send1, tempDir, withoutExecutor } from './helpers/databases.js'
import { replicaWithoutKeys } from './helpers/confidential.js'
import { assertCovered, CONFIDENTIAL_CLASSES, covered } from './helpers/breaches.js'

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
  const ops = await reopened.history({ log: 'alice' })
  assert.deepEqual(ops.map((h) => (h.log === 'oplog' ? h.op : null)), [{ op: 'CLAIM_ADMIN' }, { op: 'PUT', key: 'flower', value: SECRET }], "a member reads an oplog's ops opened")
  const rose = await reopened.call('put', { key: 'flower', value: 'rose' }, { as: 'bob' })
  await rose.whenProcessed()
  // A receipt and a state proof check as in the clear: the entry comes disclosed with its block key.
  const receipt = await reopened.receipt(rose.ops)
  assert.ok(receipt.ops[0].entry.disclosure?.blockKey, 'the op entry is disclosed with its block key')
  assert.equal(checkProof(receipt, { key }).valid, true, JSON.stringify(checkProof(receipt, { key })))
  const read = await reopened.get('/values/flower', { proof: true })
  assert.equal(checkProof(read.proof, { key }).valid, true)
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

/** A keyring over a directory's keys log holding only `identityOf` one local oplog's key pair. */
async function keyringOf(dir: string, oplogName: string, fn: (keyring: Keyring, sealedEpochs: number[]) => Promise<void>): Promise<void> {
  const logs = new LogStore(dir, { readOnly: true })
  await logs.ready()
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
    const index = await logs.byPubkey(manifest.key)
    const settings = (await confidentialSettings(index))!
    const keyring = new Keyring(await logs.byPubkey(settings.keys))
    const kp = (await logs.localOplog(oplogName)).keyPair!
    keyring.addIdentity({ publicKey: kp.publicKey, secretKey: kp.secretKey! })
    await keyring.refresh()
    const epochs: number[] = []
    for (let i = 0; i < index.length; i++) {
      const head = envelopeHead((await index.get(i, { raw: true }))!)
      epochs.push(head.sealed ? head.epoch : -1)
    }
    await fn(keyring, epochs)
  } finally {
    await logs.close()
  }
}

test('a member removed by the contract holds no key for anything sealed after its removal; one added later reads the whole history', async (t) => {
  const dir = await tempDir(t)
  let db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice', 'bob'], confidential: {} })
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await send1(db, 'put', { key: 'before', value: 'bob may read this' }, 'alice', true)
  await db.close()
  // The removal and the next op wait in one oplog, so the executor meets them in one pass.
  await withoutExecutor(dir, async (d) => {
    await d.call('removeParticipant', { pubkey: d.oplogs.bob }, { as: 'alice' })
    await d.call('put', { key: 'after', value: SECRET }, { as: 'alice' })
  })
  db = await Database.load(dir)
  await db.settled()
  const opAt = async (seq: number) => {
    const item = (await db.history({ log: 'index' })).find((h) => h.log === 'index' && h.entry.type === 'op' && h.entry.ack.seq === seq && h.entry.ack.origin === db.oplogs.alice)
    assert.ok(item && item.log === 'index' && item.entry.type === 'op' && item.entry.ack.success, `alice's op ${seq} succeeded`)
    return { index: item.seq }
  }
  const removal = await opAt(2)
  assert.equal((await opAt(3)).index, removal.index + 2, 'the removal ends its block: a seal, then the next op')
  const carol = await db.createOplog('carol')
  const added = await send1(db, 'addParticipant', { pubkey: carol }, 'alice', true)
  await send1(db, 'put', { key: 'carol', value: 'hello' }, 'carol', true)
  await db.close()

  await keyringOf(dir, 'bob', async (bob, epochs) => {
    const before = epochs.slice(0, removal.index + 1).filter((e) => e >= 0)
    const after = epochs.slice(removal.index + 1).filter((e) => e >= 0)
    assert.ok(before.length > 0 && after.length > 0)
    for (const e of before) assert.ok(bob.holds(e), `bob holds epoch ${e}, sealed before his removal`)
    assert.ok(Math.min(...after) > Math.max(...before), 'a new epoch starts after the removal')
    for (const e of new Set(after)) {
      assert.equal(bob.holds(e), false, `bob holds no key of epoch ${e}`)
      await assert.rejects(bob.keyOf(e), { code: 'KEY_UNAVAILABLE' })
    }
    await assert.rejects(bob.current(), { code: 'NOT_A_MEMBER' }, 'bob cannot seal new ops either')
  })
  await keyringOf(dir, 'carol', async (c, epochs) => {
    for (const e of new Set(epochs.filter((x) => x >= 0))) assert.ok(c.holds(e), `carol, added at #${added.index}, holds epoch ${e} through the chain of wrapped keys`)
  })
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true, JSON.stringify(report.breach))
})

test('with rotateEvery, a new epoch starts every that many entries', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], confidential: { rotateEvery: 4 }, executor: { blockSize: 2 } })
  for (let i = 0; i < 12; i++) await send1(db, 'put', { key: `k${i}`, value: i }, 'alice', true)
  await db.close()
  await keyringOf(dir, 'alice', async (alice, epochs) => {
    const sealed = epochs.filter((e) => e >= 0)
    assert.ok(alice.epochs >= 4, `${alice.epochs} epochs over ${epochs.length} entries`)
    assert.deepEqual(sealed, [...sealed].sort((a, b) => a - b), 'epochs only move forward')
    for (let e = 0; e < alice.epochs; e++) {
      const record = alice.record(e)!
      const next = alice.record(e + 1)
      if (next) assert.ok(next.from - record.from <= 4 + 2, `epoch ${e} lasts ${next.from - record.from} entries`)
    }
  })
})

async function checkReplicaSeals(replica: string, key: string, keys: string) {
  const logs = new LogStore(replica, { readOnly: true })
  await logs.ready()
  try {
    const index = await logs.byPubkey(key)
    return await checkSeals(index, (await confidentialSettings(index))!, await logs.byPubkey(keys))
  } finally {
    await logs.close()
  }
}

test('a peer without a key replicates the logs and checks every seal, and reads no entry', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], confidential: {} })
  await send1(db, 'claimAdmin', {}, 'alice', true)
  for (let i = 0; i < 5; i++) await send1(db, 'put', { key: `k${i}`, value: SECRET }, 'alice', true)
  const length = db.length
  await db.close()
  const { replica, key, keys } = await replicaWithoutKeys(t, dir)

  const report = await checkReplicaSeals(replica, key, keys)
  assert.equal(report.problem, null)
  assert.equal(report.length, length)
  assert.equal(report.seals, 7, 'genesis and one block per op')
  assert.equal(report.sealedEntries, length - 7 - 1)
  // Its entries stay closed: a full verify refuses, saying why, and reading an entry fails.
  await assert.rejects(verifyDirectory(replica), { code: 'NOT_A_MEMBER' })
  const logs = new LogStore(replica, { readOnly: true })
  await logs.ready()
  const index = await logs.byPubkey(key)
  await openConfidential(logs, index, [])
  await assert.rejects(index.get(1), { code: 'KEY_UNAVAILABLE' })
  assert.equal(decodeEntry((await index.get(0))!).type, 'header', 'the header reads as ever')
  await logs.close()
})

test('with publicContract the contract source stays clear for anyone, everything else stays sealed, and members verify as before', async (t) => {
  const dir = await tempDir(t)
  const source = await example('kv-store')
  const db = await Database.create(dir, { contract: source, oplogs: ['alice'], confidential: { publicContract: true } })
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await send1(db, 'put', { key: 'k', value: SECRET }, 'alice', true)
  await db.close()
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true, JSON.stringify(report.breach))

  const { replica, key, keys } = await replicaWithoutKeys(t, dir)
  assert.equal((await checkReplicaSeals(replica, key, keys)).problem, null)
  const logs = new LogStore(replica, { readOnly: true })
  await logs.ready()
  t.after(() => logs.close())
  const index = await logs.byPubkey(key)
  await openConfidential(logs, index, [])
  const contract = decodeEntry((await index.get(1))!)
  assert.ok(contract.type === 'contract' && contract.code === source, 'an outsider reads the contract source')
  await assert.rejects(index.get(2), { code: 'KEY_UNAVAILABLE' }, 'the entries after it stay sealed')
  for (const block of await rawBlocks(dir, key)) assert.equal(block.includes(SECRET), false)

  // The setting is part of the signed header: only `true` reads, and only then is the contract clear.
  const clear = encodeEntry({ type: 'contract', code: source })
  assert.equal(isClearEntry(clear), false)
  assert.equal(isClearEntry(clear, true), true)
  const header = (publicContract: unknown) => encodeEntry({ type: 'header', protocol: 'p', runtime: 'r', confidential: { keys: key, readers: [], rotateEvery: 0, publicContract } } as never)
  assert.throws(() => decodeEntry(header(false)), /publicContract/)
  assert.equal((decodeEntry(header(true)) as { confidential?: { publicContract?: true } }).confidential?.publicContract, true)
})

test('a seal over the wrong tree hash is caught by a peer without a key', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], confidential: {} })
  await send1(db, 'put', { key: 'a', value: 1 }, 'alice', true)
  await db.close()
  // The executor's key signs a block whose seal hashes the entries as if they were stored clear.
  const logs = new LogStore(dir)
  await logs.ready()
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
  const index = await logs.byPubkey(manifest.key)
  await openConfidential(logs, index, await directoryIdentities(logs, index, ['alice']))
  const last = decodeEntry((await index.get(index.length - 2))!) as OpEntry
  const forged = Buffer.from(encodeEntry({ ...last, ack: { ...last.ack, seq: last.ack.seq + 1 } }))
  const start = index.length
  const sealed = sealBlock(index, { roots: await currentRoots(index), peaks: await currentPeaks(index) }, start, [forged], { stateRoot: last.stateRoot, positions: new Map() })
  await index.append([forged, sealed.bytes])
  await logs.close()

  const { replica, key, keys } = await replicaWithoutKeys(t, dir)
  const report = await checkReplicaSeals(replica, key, keys)
  assert.equal(report.problem?.position, start + 1)
  assert.match(report.problem!.message, /signs tree hash .*, the index log's is/)
})

test('a lying executor of a confidential database gets a fraud proof that discloses its one entry and op, and the judge holds it', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice', 'bob'], confidential: {} })
  await send1(db, 'put', { key: 'private', value: SECRET }, 'bob', true)
  await db.close()
  // Alice's op waits unprocessed; the executor's key then signs an entry for it with another value.
  await withoutExecutor(dir, (d) => d.call('put', { key: 'k', value: 'honest' }, { as: 'alice' }))
  const logs = new LogStore(dir)
  await logs.ready()
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
  const index = await logs.byPubkey(manifest.key)
  const c = (await openConfidential(logs, index, await directoryIdentities(logs, index, ['alice', 'bob'])))!
  const alice = await logs.byPubkey(manifest.oplogs.alice)
  const seal = decodeEntry((await index.get(index.length - 1))!) as SealEntry
  const forged: OpEntry = {
    type: 'op',
    ack: { origin: manifest.oplogs.alice, seq: 0, oplogLength: 1, oplogHash: await alice.treeHash(1), ts: Date.now(), metadata: null, success: true, error: null },
    changes: [{ type: 'put', key: '/values/k', value: 'forged' }],
    stateRoot: seal.stateRoot,
  }
  const start = index.length
  const bytes = Buffer.from(encodeEntry(forged))
  const sealed = sealBlock(index, { roots: await currentRoots(index), peaks: await currentPeaks(index) }, start, [bytes], { stateRoot: seal.stateRoot, positions: new Map([[manifest.oplogs.alice, 0]]) }, (p, b) => c.encryption.stored(p, b))
  await index.append([bytes, sealed.bytes])
  await logs.close()

  const report = await verifyDirectory(dir, { fraudProof: true })
  assert.equal(report.breach?.seq, start)
  const proof = report.fraudProof?.proof as ExecutionProof
  assert.ok(proof, `a fraud proof: ${report.fraudProof?.reason}`)
  const verdict = await judge(proof, { key: manifest.key })
  assert.equal(verdict.verdict, 'proven', JSON.stringify(verdict))
  const text = JSON.stringify(proof)
  assert.ok(!text.includes(Buffer.from(SECRET).toString('hex')) && !text.includes(SECRET), "bob's value is not in the proof")
  assert.ok(proof.entry.disclosure?.blockKey && proof.op.blockKey, 'the entry and the op come with their block keys')

  // A proof whose op is not opened must not pass as a breach (the envelope read as a malformed op).
  const { blockKey: _dropped, ...closedOp } = proof.op
  assert.notEqual((await judge({ ...proof, op: closedOp })).verdict, 'proven')
  // Nor one whose disclosed keys are not the blocks'.
  const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1)
  assert.notEqual((await judge({ ...proof, op: { ...proof.op, blockKey: flip(proof.op.blockKey!) } })).verdict, 'proven')
  assert.notEqual((await judge({ ...proof, entry: { ...proof.entry, disclosure: { ...proof.entry.disclosure!, blockKey: flip(proof.entry.disclosure!.blockKey!) } } })).verdict, 'proven')
})

test('served over HTTP, a confidential database answers contents only to the token holder; info, the checkpoints (sealed) and queries to anyone', async (t) => {
  const db = await Database.create(await tempDir(t), { contract: await example('kv-store'), oplogs: ['alice'], confidential: {} })
  t.after(() => db.close())
  await send1(db, 'put', { key: 'flower', value: SECRET }, 'alice', true)
  const api = await startHttpApi({ db, port: 0, token: 'owner-token' })
  t.after(() => api.close())
  const get = (route: string, token?: string) => fetch(`${api.url}${route}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  for (const route of ['/v1/state/%2Fvalues%2Fflower', '/v1/state?prefix=%2Fvalues%2F', '/v1/history', '/v1/breaches']) {
    const refused = await get(route)
    assert.equal(refused.status, 403, route)
    const body = await refused.text()
    assert.match(body, /"CONFIDENTIAL"/, route)
    assert.ok(!body.includes(SECRET), route)
    assert.notEqual((await get(route, 'wrong-token')).status, 200, `${route} with a wrong token`)
  }
  const owner = await get('/v1/state/%2Fvalues%2Fflower', 'owner-token')
  assert.equal(owner.status, 200)
  assert.match(await owner.text(), new RegExp(SECRET))
  for (const route of ['/healthz', '/v1/info', '/checkpoint', '/v1/state-checkpoints']) assert.equal((await get(route)).status, 200, route)
  const info = (await (await get('/v1/info')).json()) as { confidential: { epoch: number } }
  assert.equal(info.confidential.epoch, 0)
})

test('an executor that keeps sealing to a removed member is caught by a member\'s replay (sealed-to-outsider); honest rotation is not', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice', 'bob'], confidential: {} })
  // The fault, from genesis on: the executor never starts a new epoch, so bob keeps the key of all
  // that comes after his removal.
  const rotate = Keyring.prototype.rotate
  Keyring.prototype.rotate = () => Promise.resolve()
  t.after(() => (Keyring.prototype.rotate = rotate))
  await send1(db, 'claimAdmin', {}, 'alice', true)
  const removal = await send1(db, 'removeParticipant', { pubkey: db.oplogs.bob }, 'alice', true)
  await send1(db, 'put', { key: 'after', value: SECRET }, 'alice', true)
  await db.close()
  Keyring.prototype.rotate = rotate
  const report = await verifyDirectory(dir)
  assert.equal(report.breach?.class, 'sealed-to-outsider', JSON.stringify(report.breach))
  covered.add(report.breach!.class)
  assert.equal(report.breach!.seq, removal.index + 2, 'the first entry after the block of the removal')
  assert.match(report.breach!.message, /sealed under epoch 0, whose key is sealed to .*neither the executor, a reader, nor the signer of an active input/)
})

test('ops that do not open (clear, too short, an unknown epoch, changed bytes) are acknowledged as failed with one message, and a member\'s replay agrees', async (t) => {
  const dir = await tempDir(t)
  await (await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], confidential: {} })).close()
  const logs = new LogStore(dir)
  await logs.ready()
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
  const index = await logs.byPubkey(manifest.key)
  const c = (await openConfidential(logs, index, await directoryIdentities(logs, index, ['alice'])))!
  const alice = await logs.localOplog('alice')
  const op = (value: string) => Buffer.from(encodeOp({ op: 'PUT', key: 'k', value }))
  const good = await sealOp(c.keyring, alice.key, op('sealed'))
  const changed = Buffer.from(await sealOp(c.keyring, alice.key, op('changed')))
  changed[changed.length - 1] ^= 1
  const unknownEpoch = Buffer.from(await sealOp(c.keyring, alice.key, op('future')))
  unknownEpoch.writeUInt32BE(99, 4)
  await alice.append([sealBytes(op('clear'), alice.key, null), Buffer.from('short'), unknownEpoch, changed, good])
  await logs.close()

  const db = await Database.load(dir)
  await db.settled()
  const acks = (await db.history({ log: 'index' })).flatMap((h) => (h.log === 'index' && h.entry.type === 'op' ? [h.entry.ack] : []))
  await db.close()
  assert.deepEqual(acks.map((a) => a.seq), [0, 1, 2, 3, 4], 'every op acknowledged once, in order: the executor never stalls')
  assert.deepEqual(acks.slice(0, 4).map((a) => a.error), Array(4).fill(OP_UNOPENED))
  assert.equal(acks[4].success, true)
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, true, `no false breach: ${JSON.stringify(report.breach)}`)
  assert.equal(report.ops, 5)
})

test('a keys log whose record is not the epoch it stands for is refused by members and by peers without a key; an epoch left unused by a crash is harmless', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], confidential: {} })
  await send1(db, 'put', { key: 'a', value: 1 }, 'alice', true)
  await db.close()

  // A crash after the executor appended a new epoch's record, before any entry was sealed under it.
  let logs = new LogStore(dir)
  await logs.ready()
  let keysLog = await logs.localKeys()
  await keysLog.append(encodeEpoch(makeEpoch(1, 99, newEpochKey(), null, [])))
  await logs.close()
  // That record is malformed (an epoch > 0 without the previous key): decoding refuses it.
  await assert.rejects(Database.load(dir), /previous must be null exactly for epoch 0/)

  // A well-formed record left unused: the executor goes on, and the log verifies.
  const dir2 = await tempDir(t)
  await (await Database.create(dir2, { contract: await example('kv-store'), oplogs: ['alice'], confidential: {} })).close()
  logs = new LogStore(dir2)
  await logs.ready()
  keysLog = await logs.localKeys()
  const keyring = new Keyring(keysLog)
  const kp = (await logs.localIndex()).keyPair!
  keyring.addIdentity({ publicKey: kp.publicKey, secretKey: kp.secretKey! })
  await keyring.refresh()
  await keyring.rotate(5, keyring.members(0))
  // And one record naming another epoch than its position, as a lying executor might write it.
  const stray = makeEpoch(7, 5, newEpochKey(), await keyring.keyOf(1), keyring.members(0))
  await logs.close()
  const db2 = await Database.load(dir2)
  await send1(db2, 'put', { key: 'b', value: 2 }, 'alice', true)
  assert.equal((await db2.info()).confidential?.epoch, 1, 'the record left by the crash is the epoch in force')
  await db2.close()
  assert.equal((await verifyDirectory(dir2)).valid, true)

  logs = new LogStore(dir2)
  await logs.ready()
  await (await logs.localKeys()).append(encodeEpoch(stray))
  await logs.close()
  await assert.rejects(verifyDirectory(dir2), { code: 'KEYS_LOG_MALFORMED' })
  const { replica, key, keys } = await replicaWithoutKeys(t, dir2)
  const report = await checkReplicaSeals(replica, key, keys)
  assert.match(report.problem?.message ?? '', /keys log record 2 names epoch 7/)
})

test('every class only a confidential database can have has a case above (this test runs last)', () => {
  assertCovered(CONFIDENTIAL_CLASSES)
})
