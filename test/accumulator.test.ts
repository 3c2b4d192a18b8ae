// The transaction accumulator (docs/protocol.md §8.4) against the RFC 6962 / RFC 9162 reference
// vectors of Certificate Transparency, against an independent implementation (Sigstore's RFC 6962
// inclusion check from @sigstore/verify), and against mangled proofs.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import test from 'node:test'
import {
  appendLeaf,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  peakCount,
  peaksOfLeaves,
  rootOfLeaves,
  rootOfPeaks,
  verifyConsistency,
  verifyInclusion,
} from '../src/log/accumulator.js'

const require = createRequire(import.meta.url)
const { verifyMerkleInclusion } = require('@sigstore/verify/dist/timestamp/merkle.js') as {
  verifyMerkleInclusion(entry: unknown): void
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))

// The reference leaves and tree heads of RFC 6962's test data (as published with the CT and
// transparency-dev Merkle implementations): roots for sizes 0..8.
const DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex)
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
const INCLUSION = [
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
]
const CONSISTENCY = [
  { first: 2, second: 8, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { first: 6, second: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { first: 2, second: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
]
const LEAVES = DATA.map(leafHash)

test('tree heads are the RFC 6962 reference roots, from leaves and from appended peaks alike', () => {
  assert.equal(hex(emptyRoot()), ROOTS[0])
  let peaks: Uint8Array[] = []
  for (let n = 0; n <= 8; n++) {
    assert.equal(hex(rootOfLeaves(LEAVES.slice(0, n))), ROOTS[n], `root of ${n} leaves`)
    assert.equal(hex(rootOfPeaks(peaks)), ROOTS[n], `root of the peaks of ${n} leaves`)
    assert.equal(peaks.length, peakCount(n))
    if (n < 8) peaks = appendLeaf(peaks, n, LEAVES[n])
  }
})

test('inclusion and consistency proofs are the reference ones and verify', () => {
  for (const v of INCLUSION) {
    assert.deepEqual(inclusionProof(LEAVES, v.index, v.size).map(hex), v.proof)
    assert.ok(verifyInclusion(LEAVES[v.index], v.index, v.size, v.proof.map(unhex), unhex(ROOTS[v.size])))
  }
  for (const v of CONSISTENCY) {
    assert.deepEqual(consistencyProof(LEAVES, v.first, v.second).map(hex), v.proof)
    assert.ok(verifyConsistency(v.first, v.second, unhex(ROOTS[v.first]), unhex(ROOTS[v.second]), v.proof.map(unhex)))
  }
})

const MANY = Array.from({ length: 40 }, (_, i) => leafHash(Uint8Array.of(i, i * 7, 255 - i)))

test('peaks appended one leaf at a time are the peaks of the whole tree, at every size', () => {
  let peaks: Uint8Array[] = []
  for (let n = 0; n <= MANY.length; n++) {
    assert.deepEqual(peaks.map(hex), peaksOfLeaves(MANY.slice(0, n)).map(hex), `size ${n}`)
    assert.equal(hex(rootOfPeaks(peaks)), hex(rootOfLeaves(MANY, 0, n)))
    if (n < MANY.length) peaks = appendLeaf(peaks, n, MANY[n])
  }
})

test('every inclusion proof verifies here and in Sigstore; a changed one verifies in neither', () => {
  for (let size = 1; size <= MANY.length; size++) {
    const root = rootOfLeaves(MANY, 0, size)
    for (let i = 0; i < size; i++) {
      const proof = inclusionProof(MANY, i, size)
      assert.ok(verifyInclusion(MANY[i], i, size, proof, root), `${i} of ${size}`)
      const entry = (hashes: Uint8Array[], index = i) => ({
        canonicalizedBody: Buffer.from(Uint8Array.of(i, i * 7, 255 - i)),
        inclusionProof: { logIndex: String(index), treeSize: String(size), hashes: hashes.map((h) => Buffer.from(h)), rootHash: Buffer.from(root) },
      })
      verifyMerkleInclusion(entry(proof))
      if (proof.length === 0) continue
      const flipped = proof.map((h) => h.slice())
      flipped[proof.length - 1][0] ^= 1
      assert.ok(!verifyInclusion(MANY[i], i, size, flipped, root))
      assert.throws(() => verifyMerkleInclusion(entry(flipped)))
      assert.ok(!verifyInclusion(MANY[i], i, size, proof.slice(0, -1), root))
      assert.ok(!verifyInclusion(MANY[i], i, size, [...proof, proof[0]], root))
      assert.ok(!verifyInclusion(MANY[i], (i + 1) % size, size, proof, root) || hex(MANY[i]) === hex(MANY[(i + 1) % size]))
      if (size < MANY.length) assert.ok(!verifyInclusion(MANY[i], i, size + 1, proof, rootOfLeaves(MANY, 0, size + 1)))
    }
  }
})

test('every consistency proof verifies, and a changed, cut or stretched one does not', () => {
  for (let second = 0; second <= 24; second++) {
    const root2 = rootOfLeaves(MANY, 0, second)
    for (let first = 0; first <= second; first++) {
      const root1 = rootOfLeaves(MANY, 0, first)
      const proof = consistencyProof(MANY, first, second)
      assert.ok(verifyConsistency(first, second, root1, root2, proof), `${first} -> ${second}`)
      if (proof.length === 0) continue
      const flipped = proof.map((h) => h.slice())
      flipped[0][3] ^= 0x80
      assert.ok(!verifyConsistency(first, second, root1, root2, flipped))
      assert.ok(!verifyConsistency(first, second, root1, root2, proof.slice(0, -1)))
      assert.ok(!verifyConsistency(first, second, root1, root2, [...proof, proof[0]]))
      assert.ok(!verifyConsistency(first, second, root2, root1, proof))
    }
  }
  // A tree that is not a prefix: same size, different leaves.
  const other = MANY.slice(0, 10).map((h, i) => (i === 3 ? leafHash(Uint8Array.of(99)) : h))
  assert.ok(!verifyConsistency(5, 10, rootOfLeaves(other, 0, 5), rootOfLeaves(MANY, 0, 10), consistencyProof(MANY, 5, 10)))
})

test('out-of-range requests throw; malformed proofs verify as false, never throw', () => {
  assert.throws(() => inclusionProof(MANY, 5, 5), RangeError)
  assert.throws(() => inclusionProof(MANY, -1, 5), RangeError)
  assert.throws(() => inclusionProof(MANY, 0, MANY.length + 1), RangeError)
  assert.throws(() => consistencyProof(MANY, 6, 5), RangeError)
  const root = rootOfLeaves(MANY, 0, 8)
  const proof = inclusionProof(MANY, 2, 8)
  assert.equal(verifyInclusion(MANY[2], 2, 8, [new Uint8Array(31), ...proof.slice(1)], root), false)
  assert.equal(verifyInclusion(MANY[2], 2, 8, proof, new Uint8Array(31)), false)
  assert.equal(verifyInclusion(MANY[2], 8, 8, proof, root), false)
  assert.equal(verifyInclusion(MANY[2], 2, Number.NaN, proof, root), false)
  assert.equal(verifyConsistency(0, 8, emptyRoot(), root, []), true)
  assert.equal(verifyConsistency(0, 8, root, root, []), false)
  assert.equal(verifyConsistency(8, 8, root, root, [root]), false)
  assert.equal(verifyConsistency(3, 8, root, root, []), false)
})
