// The transaction accumulator (docs/protocol.md §8.4): an RFC 9162 (RFC 6962) Merkle tree with
// SHA-256 over the index log's entries, beside Hypercore's own BLAKE2b tree. It is what existing
// transparency tooling understands: a seal's accumulator root is a C2SP checkpoint's root hash, and
// inclusion and consistency proofs follow RFC 9162 §2.1.3 and §2.1.4 exactly.
//
// Sizes are JavaScript numbers (safe up to 2^53): halving uses division, never 32-bit shifts.
// Browser-safe: SHA-256 comes from the platform seam.

import { sha256 } from '../codec/primitives.js'

export const ACCUMULATOR_HASH_BYTES = 32
const LEAF = Uint8Array.of(0x00)
const NODE = Uint8Array.of(0x01)

/** RFC 9162 §2.1.1: the hash of a leaf's data. */
export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF, data)
}

/** RFC 9162 §2.1.1: the hash of an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE, left, right)
}

/** The root of the empty tree: SHA-256 of nothing. */
export function emptyRoot(): Uint8Array {
  return sha256()
}

/**
 * The roots of the full subtrees that make up a tree of `size` leaves, left to right, largest
 * first (one per bit set in `size`). They are all a writer needs to append and to compute the
 * root, so a seal carries them and a restart needs no other record.
 */
export type Peaks = readonly Uint8Array[]

/** How many peaks a tree of `size` leaves has: the bits set in `size`. */
export function peakCount(size: number): number {
  let n = 0
  for (let s = size; s > 0; s = Math.floor(s / 2)) n += s % 2
  return n
}

/** The peaks after appending one leaf hash to a tree of `size` leaves with `peaks`. */
export function appendLeaf(peaks: Peaks, size: number, leaf: Uint8Array): Uint8Array[] {
  const out = peaks.slice()
  pushLeaf(out, size, leaf)
  return out
}

/** The peaks after appending entries (their data, not yet hashed) to a tree of `size` leaves. */
export function appendEntries(peaks: Peaks, size: number, entries: readonly Uint8Array[]): Uint8Array[] {
  const out = peaks.slice()
  for (let i = 0; i < entries.length; i++) pushLeaf(out, size + i, leafHash(entries[i]))
  return out
}

/** Appends a leaf hash to `peaks` (of a tree of `size` leaves) in place. */
function pushLeaf(peaks: Uint8Array[], size: number, leaf: Uint8Array): void {
  let node = leaf
  // Each trailing 1 bit of `size` is a peak of the same height as the new node: merge them.
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) node = nodeHash(peaks.pop() as Uint8Array, node)
  peaks.push(node)
}

/** RFC 9162's tree head from the peaks: the right-most peaks fold first. */
export function rootOfPeaks(peaks: Peaks): Uint8Array {
  if (peaks.length === 0) return emptyRoot()
  let root = peaks[peaks.length - 1]
  for (let i = peaks.length - 2; i >= 0; i--) root = nodeHash(peaks[i], root)
  return root
}

/** The largest power of two smaller than n (n ≥ 2): RFC 9162's split point. */
function split(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** MTH(D[lo:hi]) over leaf hashes. */
export function rootOfLeaves(leaves: readonly Uint8Array[], lo = 0, hi = leaves.length): Uint8Array {
  const n = hi - lo
  if (n === 0) return emptyRoot()
  if (n === 1) return leaves[lo]
  const k = split(n)
  return nodeHash(rootOfLeaves(leaves, lo, lo + k), rootOfLeaves(leaves, lo + k, hi))
}

/** The peaks of a tree over `leaves` (leaf hashes). */
export function peaksOfLeaves(leaves: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = []
  let lo = 0
  for (let rest = leaves.length; rest > 0; ) {
    let k = 1
    while (k * 2 <= rest) k *= 2
    out.push(rootOfLeaves(leaves, lo, lo + k))
    lo += k
    rest -= k
  }
  return out
}

/** RFC 9162 §2.1.3.1: the inclusion proof of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number, size = leaves.length): Uint8Array[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size || size > leaves.length) {
    throw new RangeError(`no leaf ${index} in a tree of ${size} leaves`)
  }
  const path: Uint8Array[] = []
  const walk = (m: number, lo: number, hi: number): void => {
    const n = hi - lo
    if (n <= 1) return
    const k = split(n)
    if (m < k) {
      walk(m, lo, lo + k)
      path.push(rootOfLeaves(leaves, lo + k, hi))
    } else {
      walk(m - k, lo + k, hi)
      path.push(rootOfLeaves(leaves, lo, lo + k))
    }
  }
  walk(index, 0, size)
  return path
}

/** RFC 9162 §2.1.4.1: the consistency proof from the tree of `first` leaves to that of `second`. */
export function consistencyProof(leaves: readonly Uint8Array[], first: number, second = leaves.length): Uint8Array[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second || second > leaves.length) {
    throw new RangeError(`no consistency proof from ${first} to ${second} leaves`)
  }
  const path: Uint8Array[] = []
  if (first === 0 || first === second) return path
  const sub = (m: number, lo: number, hi: number, whole: boolean): void => {
    const n = hi - lo
    if (m === n) {
      if (!whole) path.push(rootOfLeaves(leaves, lo, hi))
      return
    }
    const k = split(n)
    if (m <= k) {
      sub(m, lo, lo + k, whole)
      path.push(rootOfLeaves(leaves, lo + k, hi))
    } else {
      sub(m - k, lo + k, hi, false)
      path.push(rootOfLeaves(leaves, lo, lo + k))
    }
  }
  sub(first, 0, second, true)
  return path
}

const odd = (n: number) => n % 2 === 1
const half = (n: number) => Math.floor(n / 2)

/** RFC 9162's verification step for a node on its subtree's right edge: up until it is a right child or the root. */
function climbRightEdge(fn: number, sn: number): [number, number] {
  do {
    fn = half(fn)
    sn = half(sn)
  } while (!odd(fn) && fn !== 0)
  return [fn, sn]
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function wellFormed(hashes: readonly Uint8Array[]): boolean {
  return Array.isArray(hashes) && hashes.every((h) => h instanceof Uint8Array && h.length === ACCUMULATOR_HASH_BYTES)
}

/** RFC 9162 §2.1.3.2: whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false
  if (!wellFormed([leaf, root]) || !wellFormed(proof)) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r)
      if (!odd(fn)) [fn, sn] = climbRightEdge(fn, sn)
    } else {
      r = nodeHash(r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 && sameBytes(r, root)
}

/** RFC 9162 §2.1.4.2: whether `proof` shows the tree of `second` leaves extends that of `first`. */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false
  if (!wellFormed([firstRoot, secondRoot]) || !wellFormed(proof)) return false
  if (first === second) return proof.length === 0 && sameBytes(firstRoot, secondRoot)
  // Every tree extends the empty one, whose root is fixed.
  if (first === 0) return proof.length === 0 && sameBytes(firstRoot, emptyRoot())
  if (proof.length === 0) return false
  // A first tree that is one full subtree is its own first proof node.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof.slice()
  let fn = first - 1
  let sn = second - 1
  while (odd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let fr = path[0]
  let sr = path[0]
  for (const c of path.slice(1)) {
    if (sn === 0) return false
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (!odd(fn)) [fn, sn] = climbRightEdge(fn, sn)
    } else {
      sr = nodeHash(sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 && sameBytes(fr, firstRoot) && sameBytes(sr, secondRoot)
}

function isPowerOfTwo(n: number): boolean {
  let k = 1
  while (k < n) k *= 2
  return k === n
}
