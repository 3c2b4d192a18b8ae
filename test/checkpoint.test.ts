// Checkpoints (docs/protocol.md §8.4, §8.5): every seal of a real database is a C2SP checkpoint in
// a signed note over an RFC 9162 accumulator, checked here with Sigstore's independent checkpoint
// and inclusion verifiers as well as our own; consistency holds as the log grows; a database of
// another protocol version is refused, never judged.

import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { createRequire } from 'node:module'
import { test, type TestContext } from 'node:test'
import type Hypercore from 'hypercore'
import { Database } from '../src/index.js'
import { keyId, parseNote, parseVerifierKey, signaturesBy, verifyNoteSignature } from '../src/codec/signed-note.js'
import { leafHash, rootOfLeaves, verifyConsistency, verifyInclusion } from '../src/log/accumulator.js'
import { leafHashes } from '../src/log/accumulator-log.js'
import { parseCheckpoint, sealFactsOf } from '../src/log/tlog-checkpoint.js'
import { startHttpApi } from '../src/net/http/server.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'

const require = createRequire(import.meta.url)
const { verifyCheckpoint } = require('@sigstore/verify/dist/timestamp/checkpoint.js') as { verifyCheckpoint(entry: unknown, tlogs: unknown[]): void }
const { verifyMerkleInclusion } = require('@sigstore/verify/dist/timestamp/merkle.js') as { verifyMerkleInclusion(entry: unknown): void }
const caps = require('hypercore/lib/caps.js') as { treeSignable(manifestHash: Buffer, treeHash: Buffer, length: number, fork: number): Buffer }

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'))

async function counter(t: TestContext, calls: number): Promise<Database> {
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db.close())
  for (let i = 0; i < calls; i++) await send1(db, 'increment', {}, 'alice', true)
  return db
}

/** Sigstore's view of a log: its Ed25519 key, and a log ID whose first 4 bytes are the note's key ID. */
function sigstoreLog(verifierKey: string) {
  const key = parseVerifierKey(verifierKey)
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key.publicKey)])
  return {
    logID: Buffer.concat([Buffer.from(keyId(key)), Buffer.alloc(28)]),
    publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }),
    validFor: { start: new Date(0), end: new Date(8.64e15) },
  }
}

test("the checkpoint is the latest seal: its note verifies, here and in Sigstore, and states the log's facts", async (t) => {
  const db = await counter(t, 3)
  const cp = await db.checkpoint()
  const note = parseNote(cp.note)
  const key = parseVerifierKey(cp.verifierKey)
  const [line] = signaturesBy(note, key)
  assert.ok(line && verifyNoteSignature(note.text, line, key))
  const { key: dbKey, facts } = sealFactsOf(parseCheckpoint(note.text))
  assert.equal(dbKey, db.key)
  assert.equal(facts.length, cp.size)
  assert.equal(Buffer.from(facts.stateRoot).toString('hex'), (await db.info()).stateRoot)
  assert.equal(Buffer.from(facts.treeHash).toString('hex'), await db.indexHash(cp.size))
  // The accumulator root is the RFC 9162 root over the entries before the seal, as read back.
  const index = (db as unknown as { index: Hypercore }).index
  const leaves = await leafHashes(index, cp.size)
  assert.equal(Buffer.from(rootOfLeaves(leaves)).toString('base64'), cp.root)
  const tlog = sigstoreLog(cp.verifierKey)
  verifyCheckpoint({ integratedTime: '1', inclusionProof: { checkpoint: { envelope: cp.note }, rootHash: Buffer.from(b64(cp.root)) } }, [tlog])
  // A note whose size was changed no longer verifies, in Sigstore either.
  const forged = cp.note.replace(`\n${cp.size}\n`, `\n${cp.size + 1}\n`)
  assert.throws(() => verifyCheckpoint({ integratedTime: '1', inclusionProof: { checkpoint: { envelope: forged }, rootHash: Buffer.from(b64(cp.root)) } }, [tlog]), /signature/)
  // The signed text cannot pass for a Hypercore signable, which the same key signs.
  const signable = caps.treeSignable(Buffer.alloc(32), Buffer.alloc(32), 1, 0)
  assert.notEqual(Buffer.from(signable.subarray(0, 9)).toString('latin1'), 'glassbox/')
})

test('every entry has an inclusion proof against the checkpoint that Sigstore accepts; the wrong entry has none', async (t) => {
  const db = await counter(t, 2)
  const cp = await db.checkpoint()
  const index = (db as unknown as { index: Hypercore }).index
  for (let i = 0; i < cp.size; i++) {
    const proof = await db.accumulatorProof({ inclusion: i })
    const entry = (await index.get(i)) as Buffer
    const hashes = proof.hashes.map(b64)
    assert.equal(proof.leafHash, Buffer.from(leafHash(entry)).toString('base64'))
    assert.ok(verifyInclusion(leafHash(entry), i, cp.size, hashes, b64(cp.root)))
    const sigstoreEntry = (body: Buffer) => ({
      canonicalizedBody: body,
      inclusionProof: { logIndex: String(i), treeSize: String(cp.size), hashes: hashes.map((h) => Buffer.from(h)), rootHash: Buffer.from(b64(cp.root)) },
    })
    verifyMerkleInclusion(sigstoreEntry(entry))
    const other = (await index.get((i + 1) % cp.size)) as Buffer
    assert.throws(() => verifyMerkleInclusion(sigstoreEntry(other)))
  }
  await assert.rejects(db.accumulatorProof({ inclusion: cp.size }), (err: Error & { code?: string }) => err.code === 'PROOF_RANGE')
  await assert.rejects(db.accumulatorProof({ inclusion: 0, size: index.length + 1 }), (err: Error & { code?: string }) => err.code === 'PROOF_RANGE')
})

test('as the log grows, each checkpoint is consistent with every earlier one', async (t) => {
  const db = await counter(t, 1)
  const seen = [await db.checkpoint()]
  for (let i = 0; i < 4; i++) {
    await send1(db, 'increment', {}, 'alice', true)
    seen.push(await db.checkpoint())
  }
  const last = seen[seen.length - 1]
  for (const earlier of seen.slice(0, -1)) {
    const proof = await db.accumulatorProof({ consistency: earlier.size })
    assert.equal(proof.size, last.size)
    assert.ok(verifyConsistency(earlier.size, last.size, b64(earlier.root), b64(last.root), proof.hashes.map(b64)), `${earlier.size} -> ${last.size}`)
    // A root the log never had is not consistent with it.
    assert.ok(!verifyConsistency(earlier.size, last.size, b64(seen[0].root === earlier.root ? last.root : seen[0].root), b64(last.root), proof.hashes.map(b64)))
  }
})

test('GET /checkpoint serves the note as text; /v1/checkpoint adds the facts and a proof on request', async (t) => {
  const db = await counter(t, 1)
  const api = await startHttpApi({ db, port: 0, token: null })
  t.after(() => api.close())
  const cp = await db.checkpoint()
  const plain = await fetch(`${api.url}/checkpoint`)
  assert.equal(plain.status, 200)
  assert.match(plain.headers.get('content-type') ?? '', /^text\/plain/)
  assert.equal(await plain.text(), cp.note)
  const json = (await (await fetch(`${api.url}/v1/checkpoint?inclusion=1`)).json()) as { checkpoint: typeof cp; proof: { kind: string; hashes: string[] } }
  assert.deepEqual(json.checkpoint, cp)
  assert.equal(json.proof.kind, 'inclusion')
  assert.deepEqual(json.proof, await db.accumulatorProof({ inclusion: 1 }))
  const outOfRange = await fetch(`${api.url}/v1/checkpoint?inclusion=${cp.size}`)
  assert.equal(outOfRange.status, 400)
  assert.equal(((await outOfRange.json()) as { error: { code: string } }).error.code, 'PROOF_RANGE')
  const both = await fetch(`${api.url}/v1/checkpoint?inclusion=1&consistency=1`)
  assert.equal(both.status, 400)
})

test('a database written in another protocol version is refused by the executor and the verifier, not judged', async (t) => {
  const db = await counter(t, 1)
  const dir = db.dir
  await db.close()
  await withDishonest(dir, (x) => x.tamper(0, (e) => ({ ...e, protocol: 'glassbox/1' }) as typeof e))
  await assert.rejects(Database.load(dir), (err: Error & { code?: string }) => err.code === 'PROTOCOL_MISMATCH' && /glassbox\/1/.test(err.message))
  await assert.rejects(verifyDirectory(dir), (err: Error & { code?: string }) => err.code === 'PROTOCOL_MISMATCH' && /refuses to judge/.test(err.message))
})

test('the seal vector of docs/protocol.md §8.5 comes out byte for byte from its key and facts', async () => {
  const { readFile } = await import('node:fs/promises')
  const sodium = (await import('sodium-native')).default
  const { encodeEntry, decodeEntry } = await import('../src/codec/messages.js')
  const { appendEntries } = await import('../src/log/accumulator.js')
  const { keyOfSigner, sealNote, sealSignedBy, signSeal } = await import('../src/log/seal.js')
  const v = JSON.parse(await readFile(new URL('../../test/vectors/seal-checkpoint.json', import.meta.url), 'utf8')) as Record<string, string & string[]>
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(v.seed, 'hex'))
  assert.equal(hex(publicKey), v.signer)
  const key = keyOfSigner(publicKey)
  assert.equal(hex(key), v.key)
  const peaks = appendEntries([], 0, v.entries.map((e: string) => Buffer.from(e, 'hex')))
  assert.deepEqual(peaks.map(hex), v.peaks)
  const { positionsHash } = await import('../src/log/positions.js')
  const positions = positionsHash(new Map(Object.entries(v.positions as unknown as Record<string, number>)))
  assert.equal(hex(positions), v.positionsHash)
  const seal = signSeal(key, secretKey, { length: Number(v.length), treeHash: Buffer.from(v.treeHash, 'hex'), stateRoot: Buffer.from(v.stateRoot, 'hex'), positions, peaks })
  assert.equal(sealNote(seal, key, publicKey), v.note)
  assert.equal(hex(encodeEntry(seal)), v.entry)
  const decoded = decodeEntry(Buffer.from(v.entry, 'hex'))
  assert.ok(decoded.type === 'seal' && sealSignedBy(decoded, key, publicKey))
})
