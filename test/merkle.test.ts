// Hypercore's tree, recomputed (docs/protocol.md §8.1): our roots and tree hashes must be the ones
// Hypercore signs, inclusion proofs must check against them, and any tampering must fail.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { toHex } from '../src/codec/hash.js'
import { appendLeaves, currentRoots, treeHashAt, inclusionRoot, proveInclusion, ProofError, treeHash, type InclusionProof } from '../src/log/merkle.js'
import { keyOfSigner, sealSignedBy, signerOf, signSeal } from '../src/log/seal.js'
import { LogStore } from '../src/log/store.js'
import { tempDir } from './helpers/databases.js'

async function logOf(t: Parameters<typeof tempDir>[0], blocks: Buffer[]) {
  const logs = new LogStore(await tempDir(t))
  await logs.ready()
  t.after(() => logs.close())
  const core = await logs.localIndex()
  await core.append(blocks)
  return core
}

const blocksOf = (n: number) => Array.from({ length: n }, (_, i) => randomBytes(1 + ((i * 7) % 40)))

test('appendLeaves and treeHash give the tree hash Hypercore signs, at every length', async (t) => {
  const blocks = blocksOf(40)
  const core = await logOf(t, blocks)
  let roots = appendLeaves([], 0, [])
  for (let length = 1; length <= blocks.length; length++) {
    roots = appendLeaves(roots, length - 1, [blocks[length - 1]])
    assert.equal(toHex(treeHash(roots)), toHex(await core.treeHash(length)), `length ${length}`)
  }
  // Appending in batches gives the same roots as one at a time, and currentRoots reads them back.
  const batched = appendLeaves(appendLeaves([], 0, blocks.slice(0, 17)), 17, blocks.slice(17))
  assert.deepEqual(batched, roots)
  assert.deepEqual((await currentRoots(core)).map((n) => [n.index, n.size, toHex(n.hash)]), roots.map((n) => [n.index, n.size, toHex(n.hash)]))
})

test("treeHashAt reads the log's own length from memory, and any other length from Hypercore, the same hash", async (t) => {
  const blocks = blocksOf(9)
  const core = await logOf(t, blocks.slice(0, 1))
  for (let length = 1; length <= blocks.length; length++) {
    if (length > 1) await core.append(blocks[length - 1])
    assert.equal(toHex(await treeHashAt(core, length)), toHex(await core.treeHash(length)), `at its length ${length}`)
    if (length > 1) assert.equal(toHex(await treeHashAt(core, length - 1)), toHex(await core.treeHash(length - 1)), `behind it, at ${length - 1}`)
  }
})

test('an inclusion proof recomputes the tree hash at its length, for every block and length', async (t) => {
  const blocks = blocksOf(21)
  const core = await logOf(t, blocks)
  for (let length = 1; length <= blocks.length; length++) {
    const want = toHex(await core.treeHash(length))
    for (let index = 0; index < length; index++) {
      const proof = await proveInclusion(core, index, length)
      assert.equal(toHex(inclusionRoot(proof, blocks[index])), want, `block ${index} at ${length}`)
      // Other data under the same proof gives another root: the proof binds the block.
      assert.notEqual(toHex(inclusionRoot(proof, Buffer.concat([blocks[index], Buffer.of(0)]))), want)
    }
  }
})

test('tampered or malformed inclusion proofs fail', async (t) => {
  const blocks = blocksOf(13)
  const core = await logOf(t, blocks)
  const proof = await proveInclusion(core, 5, 13)
  const want = toHex(await core.treeHash(13))
  const clone = (): InclusionProof => JSON.parse(JSON.stringify(proof))
  // A flipped hash or a wrong size changes the root.
  const flipped = clone()
  flipped.path[0].hash = flipped.path[0].hash.replace(/^./, (c) => (c === '0' ? '1' : '0'))
  assert.notEqual(toHex(inclusionRoot(flipped, blocks[5])), want)
  const resized = clone()
  resized.roots[0].size += 1
  assert.notEqual(toHex(inclusionRoot(resized, blocks[5])), want)
  // Structural lies are errors, not roots.
  const moved = clone()
  moved.index = 4
  assert.throws(() => inclusionRoot(moved, blocks[5]), ProofError)
  const shortRoots = clone()
  shortRoots.roots.pop()
  assert.throws(() => inclusionRoot(shortRoots, blocks[5]), ProofError)
  const extraRoot = clone()
  extraRoot.roots.push(extraRoot.roots[0])
  assert.throws(() => inclusionRoot(extraRoot, blocks[5]), ProofError)
  assert.throws(() => inclusionRoot({ ...clone(), index: 13 }, blocks[5]), ProofError)
  assert.throws(() => inclusionRoot({ ...clone(), path: [{ index: -1, size: 0, hash: 'zz' }] }, blocks[5]), ProofError)
  await assert.rejects(proveInclusion(core, 3, 14), ProofError)
})

test('a seal verifies under the signer that derives the log key, and under nothing else', async (t) => {
  const core = await logOf(t, blocksOf(3))
  const signer = signerOf(core)
  assert.equal(toHex(keyOfSigner(signer)), toHex(core.key))
  const secret = core.keyPair?.secretKey as Buffer
  const body = { length: 3, treeHash: await core.treeHash(3), stateRoot: new Uint8Array(32).fill(7), positions: new Uint8Array(32).fill(9), peaks: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] }
  const seal = signSeal(core.key, secret, body)
  assert.ok(sealSignedBy(seal, core.key, signer))
  assert.ok(!sealSignedBy({ ...seal, length: 2 }, core.key, signer))
  assert.ok(!sealSignedBy({ ...seal, stateRoot: new Uint8Array(32) }, core.key, signer))
  assert.ok(!sealSignedBy({ ...seal, positions: new Uint8Array(32) }, core.key, signer))
  assert.ok(!sealSignedBy({ ...seal, peaks: [seal.peaks[1], seal.peaks[0]] }, core.key, signer))
  assert.ok(!sealSignedBy({ ...seal, peaks: [seal.peaks[0]] }, core.key, signer))
  assert.ok(!sealSignedBy(seal, new Uint8Array(32), signer))
  assert.ok(!sealSignedBy(seal, core.key, new Uint8Array(32).fill(1)))
  assert.ok(!sealSignedBy({ ...seal, signature: seal.signature.subarray(1) }, core.key, signer))
})
