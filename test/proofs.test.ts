// State reads with proof and transaction receipts (docs/protocol.md §9): each checks with nothing
// but the file and the database key, and any change to it, or a file of another database, fails.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { checkProof, Database, decodeEntry, encodeEntry, ProofError, type ReceiptFile, type SealEntry, type StateProofFile } from '../src/index.js'
import { example, tempDir } from './helpers/databases.js'

async function registry(t: TestContext): Promise<Database> {
  const db = await Database.create(await tempDir(t), { contract: await example('kv-store'), oplogs: ['alice', 'bob'] })
  t.after(() => db.close())
  return db
}

async function put(db: Database, key: string, value: unknown, as = 'alice'): Promise<void> {
  const called = await db.call('put', { key, value } as never, { as })
  const [r] = await called.whenProcessed()
  assert.equal(r.success, true, r.error ?? '')
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v))

function flipHex(hex: string, at = 0): string {
  return hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1)
}

test('a state read with proof checks against the database key: present and absent keys', async (t) => {
  const db = await registry(t)
  await put(db, 'alice', { pk: 'A1' })
  await put(db, 'bob', { pk: 'B1' }, 'bob')
  const key = db.list('')[0].key
  const read = await db.get(key, { proof: true })
  assert.equal(read.found, true)
  assert.deepEqual(read.value, db.get(key)?.value)
  const file = clone(read.proof)
  const ok = checkProof(file, { key: db.key })
  assert.ok(ok.valid && ok.kind === 'state' && ok.state.kind === 'key')
  assert.deepEqual(ok.state, { kind: 'key', key, found: true, value: read.value })
  assert.equal(ok.seal.stateRoot, (await db.info()).stateRoot)

  const absent = await db.get('/nothing/here', { proof: true })
  assert.equal(absent.found, false)
  const none = checkProof(clone(absent.proof), { key: db.key })
  assert.ok(none.valid && none.kind === 'state')
  assert.deepEqual(none.state, { kind: 'key', key: '/nothing/here', found: false, value: null })
})

test('a tampered state proof, or one checked against another key, is invalid; a malformed one is an error', async (t) => {
  const db = await registry(t)
  await put(db, 'alice', { pk: 'A1' })
  const other = await registry(t)
  await put(other, 'alice', { pk: 'EVIL' })
  const key = db.list('')[0].key
  const file = clone((await db.get(key, { proof: true })).proof)
  const forgedValue = clone(file)
  const leaf = forgedValue.proof.nodes.find((n) => 'value' in n) as { value: unknown }
  leaf.value = { pk: 'EVIL' }
  assert.equal(checkProof(forgedValue, { key: db.key }).valid, false)

  // Another database's genuine proof presented as this one's.
  const foreign = clone((await other.get(key, { proof: true })).proof)
  assert.equal(checkProof(foreign, { key: db.key }).valid, false)
  const relabelled = { ...foreign, key: db.key }
  const r = checkProof(relabelled, { key: db.key })
  assert.ok(!r.valid && /does not sign database/.test(r.reason), JSON.stringify(r))

  const badSignature = clone(file)
  const seal = decodeEntry(Buffer.from(badSignature.anchor.seal, 'hex')) as SealEntry
  seal.signature[5] ^= 1
  badSignature.anchor.seal = Buffer.from(encodeEntry(seal)).toString('hex')
  assert.equal(checkProof(badSignature, { key: db.key }).valid, false)

  for (const broken of [null, [], { format: 'other' }, { ...file, kind: 'nope' }, { ...file, key: 'xyz' }, { ...file, anchor: { signer: 'zz' } }, { ...file, anchor: { ...file.anchor, seal: '00' } }, { ...file, proof: 7 }]) {
    assert.throws(() => checkProof(broken), (err: unknown) => err instanceof ProofError && err.code === 'PROOF_MALFORMED', JSON.stringify(broken))
  }
})

test('a receipt proves each op of a call: in its oplog, acknowledged in the index, and what it changed', async (t) => {
  const db = await registry(t)
  await put(db, 'carol', { pk: 'C0' }, 'bob')
  const called = await db.call('put', { key: 'alice', value: { pk: 'A1' } } as never, { as: 'alice' })
  const receipt = clone(await db.receipt(called.ops))
  const r = checkProof(receipt, { key: db.key })
  assert.ok(r.valid && r.kind === 'receipt', JSON.stringify(r))
  assert.equal(r.ops.length, 1)
  const [op] = r.ops
  assert.equal(op.origin, db.oplogs.alice)
  assert.equal(op.seq, 0)
  assert.equal(op.success, true)
  assert.ok(op.changes.length > 0)
  for (const c of op.changes) {
    const at = op.state.find((s) => s.key === c.key)
    assert.ok(at, `a proof of ${c.key}`)
    assert.deepEqual(at.value, c.type === 'put' ? c.value : null)
  }

  const tamperedOp = clone(receipt)
  tamperedOp.ops[0].op.bytes = flipHex(tamperedOp.ops[0].op.bytes, 4)
  assert.match(invalidReason(tamperedOp, db.key), /not in oplog/)
  const otherEntry = clone(receipt)
  otherEntry.ops[0].entry.position -= 1
  assert.equal(checkProof(otherEntry, { key: db.key }).valid, false)
  const tamperedEntry = clone(receipt)
  tamperedEntry.ops[0].entry.entry = flipHex(tamperedEntry.ops[0].entry.entry, tamperedEntry.ops[0].entry.entry.length - 2)
  assert.equal(checkProof(tamperedEntry, { key: db.key }).valid, false)
  const wrongState = clone(receipt)
  const leaf = wrongState.ops[0].state[0].nodes.find((n) => 'value' in n) as { value: unknown }
  leaf.value = 'forged'
  assert.equal(checkProof(wrongState, { key: db.key }).valid, false)
})

function invalidReason(file: ReceiptFile | StateProofFile, key: string): string {
  const r = checkProof(file, { key })
  assert.equal(r.valid, false)
  return r.valid ? '' : r.reason
}

test('proofs taken while the executor works are always at a signed boundary', async (t) => {
  const db = await registry(t)
  const calls = []
  for (let i = 0; i < 40; i++) calls.push(db.call('put', { key: `k${i % 7}`, value: i } as never, { as: i % 2 ? 'alice' : 'bob' }))
  const reads = []
  for (let i = 0; i < 20; i++) reads.push(db.get(`/values/k${i % 7}`, { proof: true }))
  const done = await Promise.all(calls)
  const receipts = await Promise.all(done.slice(0, 5).map((c) => db.receipt(c.ops)))
  for (const read of await Promise.all(reads)) assert.equal(checkProof(clone(read.proof), { key: db.key }).valid, true)
  for (const receipt of receipts) assert.equal(checkProof(clone(receipt), { key: db.key }).valid, true)
})

test('a database opened without its executor still gives proofs', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'] })
  await put(db, 'alice', 1)
  const key = db.list('')[0].key
  await db.close()
  const reader = await Database.load(dir, { execute: false })
  t.after(() => reader.close())
  const read = await reader.get(key, { proof: true })
  assert.equal(checkProof(clone(read.proof), { key: reader.key }).valid, true)
})
