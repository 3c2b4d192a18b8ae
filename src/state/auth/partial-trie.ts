// A pruned trie: the top of the state trie with some subtrees replaced by their hashes
// (docs/protocol.md §7.3). Every proof is one. It hashes to the root of the whole map, serves the
// reads it covers, and applies changes on the paths it covers to give the new root; a read or a
// change that needs a pruned subtree is a gap (WitnessGapError), never a guess.
//
// Nodes are immutable once hashed, except that the prover may fill a pruned node in place (an
// Expander, backed by the full map): that changes what is revealed, never the hash.
//
// Browser-safe apart from the hash function.

import type { Change, Json, ListOptions, StateEntry, StateReader } from '../../vm/types.js'
import { compareKeys } from '../key-order.js'
import { bitAt, bytesToHex, EMPTY_BYTES, firstDiff, hashFromHex, MAX_CRIT, utf8Bytes } from './bits.js'
import { StateProofError, WitnessGapError } from './errors.js'
import { EMPTY_ROOT, innerHash, leafHash, valueHash } from './node-hash.js'
import type { ProofNode } from './proof-types.js'
import { KeyRange, rangeQueryProblem } from './range.js'

export const PRUNED = 0
export const LEAF = 1
export const INNER = 2

export class PNode {
  hash: Uint8Array | null = null
  /** The prover's handle on the map node a pruned node stands for. */
  ref = 0
  crit = 0
  left: PNode | null = null
  right: PNode | null = null
  key = ''
  keyBytes: Uint8Array = EMPTY_BYTES
  valueHash: Uint8Array | null = null
  /** False for a leaf known by its value hash only. */
  hasValue = false
  value: Json = null

  constructor(public kind: number) {}
}

export function prunedNode(hash: Uint8Array, ref = 0): PNode {
  const n = new PNode(PRUNED)
  n.hash = hash
  n.ref = ref
  return n
}

export function leafNode(key: string, keyBytes: Uint8Array): PNode {
  const n = new PNode(LEAF)
  n.key = key
  n.keyBytes = keyBytes
  return n
}

export function innerNode(crit: number, left: PNode, right: PNode): PNode {
  const n = new PNode(INNER)
  n.crit = crit
  n.left = left
  n.right = right
  return n
}

/** What lets a prover open pruned nodes: the full map behind the pruned trie. */
export interface Expander {
  /** Turns a pruned node into the inner node (with pruned children) or leaf it stands for. */
  expand(node: PNode): void
  /** Sets a leaf's value. */
  fillValue(node: PNode): void
}

const invalid = (reason: string) => new StateProofError('STATE_PROOF_INVALID', reason)
const gap = (reason: string) => new WitnessGapError('WITNESS_GAP', reason)
const quote = (s: string) => JSON.stringify(s)

interface Descent {
  path: PNode[]
  /** sides[i]: 1 if the descent went right at path[i]. */
  sides: number[]
  leaf: PNode
}

export class PartialTrie implements StateReader {
  constructor(
    readonly root: PNode | null,
    readonly expander: Expander | null = null,
  ) {}

  /** The hash of the whole map this trie is the top of. */
  rootHash(): Uint8Array {
    if (!this.root) return EMPTY_ROOT
    const stack: PNode[] = [this.root]
    while (stack.length > 0) {
      const n = stack[stack.length - 1]
      if (n.hash) {
        stack.pop()
      } else if (n.kind === LEAF) {
        n.valueHash ??= valueHash(n.value)
        n.hash = leafHash(n.keyBytes, n.valueHash)
        stack.pop()
      } else {
        const l = n.left as PNode
        const r = n.right as PNode
        if (!l.hash) stack.push(l)
        else if (!r.hash) stack.push(r)
        else {
          n.hash = innerHash(n.crit, l.hash, r.hash)
          stack.pop()
        }
      }
    }
    return this.root.hash as Uint8Array
  }

  get(key: string): Json | undefined {
    if (!this.root || !key.isWellFormed()) return undefined
    const { leaf } = this.descend(this.root, key, utf8Bytes(key))
    if (leaf.key !== key) return undefined
    if (!leaf.hasValue) this.fillValue(leaf)
    return leaf.value
  }

  /**
   * `StateReader.list` over the covered part: walks the leaves in order and fails when a pruned
   * subtree could hold an entry of the listing (section 7.5).
   */
  list(prefix: string, opts: ListOptions = {}): StateEntry[] {
    const problem = rangeQueryProblem({ prefix, ...opts })
    if (problem) throw invalid(`list(): ${problem}`)
    const limit = opts.limit ?? Infinity
    const range = new KeyRange(prefix, opts.gt, opts.lt)
    const out: StateEntry[] = []
    if (limit <= 0 || range.empty) return out
    const reverse = opts.reverse === true
    const describe = () => `list(${quote(prefix)}, ${JSON.stringify(opts)})`
    const stack: PNode[] = []
    let pending: PNode | null = null
    let done = false
    let node: PNode | null = this.root
    while (node) {
      while (node.kind === INNER) {
        stack.push(node)
        node = (reverse ? node.right : node.left) as PNode
      }
      if (node.kind === PRUNED) {
        pending ??= node
      } else if (reverse ? range.above(node.key) : range.below(node.key)) {
        // Everything pruned so far lies before this leaf, so before the range.
        pending = null
      } else {
        if (pending) throw gap(`${describe()}: subtree ${bytesToHex(pending.hash as Uint8Array)} is pruned where entries may lie`)
        if (!range.contains(node.key)) {
          done = true
          break
        }
        if (!node.hasValue) this.fillValue(node)
        out.push({ key: node.key, value: node.value })
        if (out.length >= limit) {
          done = true
          break
        }
      }
      const parent = stack.pop()
      node = parent ? ((reverse ? parent.left : parent.right) as PNode) : null
    }
    if (!done && pending) throw gap(`${describe()}: subtree ${bytesToHex(pending.hash as Uint8Array)} is pruned where entries may lie`)
    return out
  }

  /** The trie after the changes, in order; this one is left as it was (nodes are shared). */
  apply(changes: readonly Change[]): PartialTrie {
    let root = this.root
    for (const c of changes) root = c.type === 'put' ? this.put(root, c.key, c.value) : this.del(root, c.key)
    return new PartialTrie(root, this.expander)
  }

  /** Prover side: opens the path to `key` (and the key's value if asked and present). */
  reveal(key: string, withValue: boolean): void {
    if (!this.root || !key.isWellFormed()) return
    const { leaf } = this.descend(this.root, key, utf8Bytes(key))
    if (withValue && leaf.key === key && !leaf.hasValue) this.fillValue(leaf)
  }

  /** The pre-order node list of section 7.3. */
  toNodes(): ProofNode[] {
    const out: ProofNode[] = []
    if (!this.root) return out
    this.rootHash()
    const stack: PNode[] = [this.root]
    while (stack.length > 0) {
      const n = stack.pop() as PNode
      if (n.kind === PRUNED) out.push({ hash: bytesToHex(n.hash as Uint8Array) })
      else if (n.kind === LEAF) out.push(n.hasValue ? { key: n.key, value: n.value } : { key: n.key, valueHash: bytesToHex(n.valueHash as Uint8Array) })
      else {
        out.push({ crit: n.crit })
        stack.push(n.right as PNode, n.left as PNode)
      }
    }
    return out
  }

  /** Parses a node list, checking its shape (not yet its hash); throws StateProofError. */
  static fromNodes(input: unknown): PartialTrie {
    if (!Array.isArray(input)) throw invalid('nodes must be an array')
    if (input.length === 0) return new PartialTrie(null)
    // Open child slots, the left one on top: pre-order fills left subtrees first.
    const slots: [PNode | null, number][] = [[null, 0]]
    let root: PNode | null = null
    let lastKey: string | null = null
    for (let i = 0; i < input.length; i++) {
      const slot = slots.pop()
      if (!slot) throw invalid(`node ${i} lies past the end of the trie`)
      const [parent, side] = slot
      const node = readNode(input[i], i)
      if (!parent) root = node
      else {
        if (side) parent.right = node
        else parent.left = node
        if (node.kind === INNER && node.crit <= parent.crit) {
          throw invalid(`node ${i}: crit bit ${node.crit} is not greater than its parent's ${parent.crit}`)
        }
        if (node.kind === LEAF && bitAt(node.keyBytes, node.keyBytes.length, 0, parent.crit) !== side) {
          throw invalid(`node ${i}: key ${quote(node.key)} lies on the wrong side of crit bit ${parent.crit}`)
        }
      }
      if (node.kind === LEAF) {
        // Leaves come in the same order in pre-order as in order.
        if (lastKey !== null && compareKeys(lastKey, node.key) >= 0) throw invalid(`node ${i}: key ${quote(node.key)} is out of order`)
        lastKey = node.key
      } else if (node.kind === INNER) {
        slots.push([node, 1], [node, 0])
      }
    }
    if (slots.length > 0) throw invalid(`the nodes end with ${slots.length} subtree(s) missing`)
    return new PartialTrie(root)
  }

  private open(node: PNode, key: string): void {
    if (this.expander) this.expander.expand(node)
    else throw gap(`${quote(key)} is not covered: subtree ${bytesToHex(node.hash as Uint8Array)} is pruned`)
  }

  private fillValue(leaf: PNode): void {
    if (this.expander) this.expander.fillValue(leaf)
    else throw gap(`only the hash of the value of ${quote(leaf.key)} is given`)
  }

  private descend(root: PNode, key: string, kb: Uint8Array): Descent {
    const path: PNode[] = []
    const sides: number[] = []
    let node = root
    for (;;) {
      if (node.kind === PRUNED) this.open(node, key)
      if (node.kind === LEAF) return { path, sides, leaf: node }
      const side = bitAt(kb, kb.length, 0, node.crit)
      path.push(node)
      sides.push(side)
      node = (side ? node.right : node.left) as PNode
    }
  }

  private put(root: PNode | null, key: string, value: Json): PNode {
    if (!key.isWellFormed()) throw invalid(`put(): key ${quote(key)} has a lone surrogate`)
    const kb = utf8Bytes(key)
    const fresh = leafNode(key, kb)
    fresh.value = value
    fresh.hasValue = true
    if (!root) return fresh
    const { path, sides, leaf } = this.descend(root, key, kb)
    if (leaf.key === key) return rebuild(path, sides, path.length, fresh)
    const crit = firstDiff(kb, kb.length, 0, leaf.keyBytes, leaf.keyBytes.length, 0)
    let depth = 0
    while (depth < path.length && path[depth].crit < crit) depth++
    const below = depth < path.length ? path[depth] : leaf
    const joined = bitAt(kb, kb.length, 0, crit) ? innerNode(crit, below, fresh) : innerNode(crit, fresh, below)
    return rebuild(path, sides, depth, joined)
  }

  private del(root: PNode | null, key: string): PNode | null {
    if (!root || !key.isWellFormed()) return root
    const { path, sides, leaf } = this.descend(root, key, utf8Bytes(key))
    if (leaf.key !== key) return root
    if (path.length === 0) return null
    const last = path.length - 1
    const sibling = (sides[last] ? path[last].left : path[last].right) as PNode
    return rebuild(path, sides, last, sibling)
  }
}

/** Copies path[0..depth) with `node` in place of path[depth]. */
function rebuild(path: PNode[], sides: number[], depth: number, node: PNode): PNode {
  for (let i = depth - 1; i >= 0; i--) {
    const p = path[i]
    node = sides[i] ? innerNode(p.crit, p.left as PNode, node) : innerNode(p.crit, node, p.right as PNode)
  }
  return node
}

function readNode(x: unknown, i: number): PNode {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw invalid(`node ${i} is not an object`)
  const o = x as Record<string, unknown>
  const fields = Object.keys(o)
  const has = (f: string) => Object.hasOwn(o, f)
  if (fields.length === 1 && has('crit')) {
    const crit = o.crit
    if (typeof crit !== 'number' || !Number.isInteger(crit) || crit < 0 || crit > MAX_CRIT) throw invalid(`node ${i}: crit must be an integer in 0..${MAX_CRIT}`)
    const n = new PNode(INNER)
    n.crit = crit
    return n
  }
  if (fields.length === 1 && has('hash')) {
    const h = hashFromHex(o.hash)
    if (!h) throw invalid(`node ${i}: hash must be 64 lowercase hex characters`)
    return prunedNode(h)
  }
  if (fields.length === 2 && has('key') && (has('value') || has('valueHash'))) {
    const key = o.key
    if (typeof key !== 'string' || !key.isWellFormed()) throw invalid(`node ${i}: key must be a well-formed string`)
    const n = leafNode(key, utf8Bytes(key))
    if (has('value')) {
      n.value = o.value as Json
      n.hasValue = true
      try {
        n.valueHash = valueHash(n.value)
      } catch (err) {
        throw invalid(`node ${i}: the value of ${quote(key)} is not a JSON value (${(err as Error).message})`)
      }
    } else {
      n.valueHash = hashFromHex(o.valueHash)
      if (!n.valueHash) throw invalid(`node ${i}: valueHash must be 64 lowercase hex characters`)
    }
    return n
  }
  throw invalid(`node ${i} is neither an inner node, a pruned subtree nor a leaf`)
}
