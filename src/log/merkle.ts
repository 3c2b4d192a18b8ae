// Hypercore's Merkle tree, recomputed (docs/protocol.md §8.1): the tree hash a Hypercore of
// length L commits to, and inclusion proofs of one block in it, checked with nothing but the hash
// function. Glassbox needs this outside Hypercore because Hypercore checks proofs against its own
// storage, while a receipt or a fraud proof must be checked by someone who holds no log at all.
//
// Nodes are numbered in-order ("flat tree"): leaf i is node 2i, a parent sits between its
// children. A node's size is the number of data bytes under it.
//
// Browser-safe apart from the hash function.

import type Hypercore from 'hypercore'
import { fromHex, hash, HASH_BYTES, toHex } from '../codec/hash.js'
import { HEX32, invalidProof as bad, isCount, malformedProof as malformed, ProofError } from './proof-shape.js'

export { ProofError } from './proof-shape.js'

export interface TreeNode {
  index: number
  size: number
  hash: Uint8Array
}

/** A tree node in JSON: the hash as lowercase hex. */
export interface TreeNodeJson {
  index: number
  size: number
  hash: string
}

/** Block `index` is in the log of `length` blocks whose tree hash the proof recomputes. */
export interface InclusionProof {
  index: number
  length: number
  /** Siblings from the leaf up to the full root that holds it. */
  path: TreeNodeJson[]
  /** The log's other full roots, left to right. */
  roots: TreeNodeJson[]
}

const LEAF_TYPE = 0
const PARENT_TYPE = 1
const ROOT_TYPE = 2

/** BLAKE2b-256(0x00 ‖ u64le(size) ‖ data). */
export function leafNode(blockIndex: number, data: Uint8Array): TreeNode {
  const pre = new Uint8Array(9 + data.length)
  pre[0] = LEAF_TYPE
  writeU64(pre, 1, data.length)
  pre.set(data, 9)
  return { index: 2 * blockIndex, size: data.length, hash: hash(pre) }
}

/** BLAKE2b-256(0x01 ‖ u64le(size) ‖ left ‖ right), for two sibling nodes in either order. */
export function parentNode(a: TreeNode, b: TreeNode): TreeNode {
  const [l, r] = a.index < b.index ? [a, b] : [b, a]
  const pre = new Uint8Array(9 + 2 * HASH_BYTES)
  pre[0] = PARENT_TYPE
  writeU64(pre, 1, l.size + r.size)
  pre.set(l.hash, 9)
  pre.set(r.hash, 9 + HASH_BYTES)
  return { index: parentOf(l.index), size: l.size + r.size, hash: hash(pre) }
}

/** BLAKE2b-256(0x02 ‖ for each root: hash ‖ u64le(index) ‖ u64le(size)): what Hypercore signs. */
export function treeHash(roots: readonly TreeNode[]): Uint8Array {
  const pre = new Uint8Array(1 + roots.length * (HASH_BYTES + 16))
  pre[0] = ROOT_TYPE
  let at = 1
  for (const r of roots) {
    pre.set(r.hash, at)
    writeU64(pre, at + HASH_BYTES, r.index)
    writeU64(pre, at + HASH_BYTES + 8, r.size)
    at += HASH_BYTES + 16
  }
  return hash(pre)
}

/** The roots after appending `blocks` to a log of `length` blocks with roots `roots`. */
export function appendLeaves(roots: readonly TreeNode[], length: number, blocks: readonly Uint8Array[]): TreeNode[] {
  const next = roots.slice()
  for (let i = 0; i < blocks.length; i++) {
    next.push(leafNode(length + i, blocks[i]))
    while (next.length > 1 && siblingOf(next[next.length - 1].index) === next[next.length - 2].index) {
      const right = next.pop() as TreeNode
      const left = next.pop() as TreeNode
      next.push(parentNode(left, right))
    }
  }
  return next
}

/** The flat indexes of the full roots of a log of `length` blocks, left to right. */
export function fullRoots(length: number): number[] {
  const out: number[] = []
  let offset = 0
  let remaining = length
  while (remaining > 0) {
    let factor = 1
    while (factor * 2 <= remaining) factor *= 2
    out.push(offset + factor - 1)
    offset += 2 * factor
    remaining -= factor
  }
  return out
}

/** The log's full roots at its current length, read through Hypercore's own proof API. */
export async function currentRoots(core: Hypercore): Promise<TreeNode[]> {
  if (core.length === 0) return []
  const proof = await core.proof({ upgrade: { start: 0, length: core.length } })
  return (proof.upgrade?.nodes ?? []).map(copyNode)
}

/**
 * The tree hash of `core` at `length`. At the log's own length it comes from the roots Hypercore
 * keeps in memory (its session state, internal at hypercore 11), with no storage read; at any other
 * length, or without those roots, from Hypercore's `treeHash`.
 */
export async function treeHashAt(core: Hypercore, length: number): Promise<Uint8Array> {
  const roots = (core as unknown as { state?: { roots?: TreeNode[]; length?: number } }).state
  if (roots?.roots && roots.length === length && length === core.length && length > 0) return treeHash(roots.roots)
  return core.treeHash(length)
}

/** Proves block `index` is in `core` at `length` (which the core must have reached). */
export async function proveInclusion(core: Hypercore, index: number, length: number): Promise<InclusionProof> {
  if (!(index < length && length <= core.length)) {
    throw new ProofError('PROOF_RANGE', `cannot prove block ${index} at length ${length} of a log ${core.length} long`)
  }
  const proof = await core.proof({ block: { index, nodes: 0 }, upgrade: { start: 0, length } })
  const inclusion: InclusionProof = {
    index,
    length,
    path: (proof.block?.nodes ?? []).map(nodeToJson),
    roots: (proof.upgrade?.nodes ?? []).map(nodeToJson),
  }
  return inclusion
}

/**
 * The tree hash of the log the proof says holds `data` at `proof.index`: equal to a signed tree hash
 * exactly when the data is that log's block. Throws ProofError when the proof is malformed.
 */
export function inclusionRoot(proof: InclusionProof, data: Uint8Array): Uint8Array {
  const { index, length } = proof
  if (!isCount(index) || !isCount(length) || !Array.isArray(proof.path) || !Array.isArray(proof.roots)) {
    throw malformed('an inclusion proof needs index, length, path and roots')
  }
  if (index >= length) throw bad(`block ${index} is not inside a log of length ${length}`)
  let node = leafNode(index, data)
  for (const raw of proof.path) {
    const sibling = nodeFromJson(raw)
    if (sibling.index !== siblingOf(node.index)) throw bad(`node ${sibling.index} is not the sibling of node ${node.index}`)
    node = parentNode(node, sibling)
  }
  const expected = fullRoots(length)
  const others = proof.roots.map(nodeFromJson)
  const roots: TreeNode[] = []
  let j = 0
  for (const at of expected) {
    if (at === node.index) roots.push(node)
    else if (j < others.length && others[j].index === at) roots.push(others[j++])
    else throw bad(`root ${at} of a log of length ${length} is missing from the proof`)
  }
  if (j !== others.length || !roots.includes(node)) throw bad('the proof does not end in the full roots of its length')
  return treeHash(roots)
}

export function nodeToJson(n: { index: number; size: number; hash: Uint8Array }): TreeNodeJson {
  return { index: n.index, size: n.size, hash: toHex(n.hash) }
}

export function nodeFromJson(n: TreeNodeJson): TreeNode {
  if (n === null || typeof n !== 'object' || !isCount(n.index) || !isCount(n.size) || typeof n.hash !== 'string' || !HEX32.test(n.hash)) {
    throw malformed('a tree node must be {index, size, hash: 64 hex}')
  }
  return { index: n.index, size: n.size, hash: fromHex(n.hash) }
}

function copyNode(n: { index: number; size: number; hash: Uint8Array }): TreeNode {
  return { index: n.index, size: n.size, hash: new Uint8Array(n.hash) }
}

/** The number of trailing one bits: a node's height above the leaves. */
function depthOf(index: number): number {
  let d = 0
  while (Math.floor(index / 2 ** d) % 2 === 1) d++
  return d
}

function nodeAt(depth: number, offset: number): number {
  return (1 + 2 * offset) * 2 ** depth - 1
}

function offsetOf(index: number, depth: number): number {
  return Math.floor(Math.floor(index / 2 ** depth) / 2)
}

function parentOf(index: number): number {
  const d = depthOf(index)
  return nodeAt(d + 1, Math.floor(offsetOf(index, d) / 2))
}

function siblingOf(index: number): number {
  const d = depthOf(index)
  const o = offsetOf(index, d)
  return nodeAt(d, o % 2 === 1 ? o - 1 : o + 1)
}

function writeU64(buf: Uint8Array, at: number, n: number): void {
  const lo = n % 2 ** 32
  const hi = Math.floor(n / 2 ** 32)
  for (let i = 0; i < 4; i++) {
    buf[at + i] = (lo >>> (8 * i)) & 0xff
    buf[at + 4 + i] = (hi >>> (8 * i)) & 0xff
  }
}
