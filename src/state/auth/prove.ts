// Proofs from a full map (docs/protocol.md §7.4-7.7). Each is a pruned trie built by opening the
// map's nodes on demand: the paths to the keys a proof is about, and for a witness whatever applying
// the op's changes walks through. Call them between changes: a proof is about the current root.

import { EncodeError } from '../../errors.js'
import type { Change } from '../../vm/types.js'
import type { AuthMap } from './auth-map.js'
import { utf8Bytes } from './bits.js'
import { valueHash } from './node-hash.js'
import { INNER, LEAF, PartialTrie, prunedNode, type Expander, type PNode } from './partial-trie.js'
import { STATE_PROOF_VERSION, type KeyProof, type RangeProof, type Witness } from './proof-types.js'
import { KeyRange, rangeQueryProblem, type RangeQuery } from './range.js'
import { leafAbove, leafBelow, listLeaves } from './walk.js'

/** What an op read: the keys it got and the listings it made, as the state reader saw them. */
export interface StateAccess {
  reads: Iterable<string>
  lists: Iterable<RangeQuery>
}

class MapExpander implements Expander {
  constructor(private readonly map: AuthMap) {}

  expand(node: PNode): void {
    const m = this.map
    const ref = node.ref
    if (ref >= 0) {
      node.kind = INNER
      node.crit = m.crit[ref]
      node.left = prunedNode(m.hashOf(m.left[ref]), m.left[ref])
      node.right = prunedNode(m.hashOf(m.right[ref]), m.right[ref])
    } else {
      node.kind = LEAF
      node.key = m.keys[~ref]
      node.keyBytes = utf8Bytes(node.key)
      node.valueHash = valueHash(m.valueAt(~ref))
    }
  }

  fillValue(node: PNode): void {
    node.value = this.map.valueAt(~node.ref)
    node.hasValue = true
  }
}

/** A pruned trie of the whole map: just its root, opened as proofs need. */
function openMap(map: AuthMap): PartialTrie {
  const root = map.root()
  return new PartialTrie(map.size === 0 ? null : prunedNode(root, map.rootRef), new MapExpander(map))
}

/** The leaves a range proof opens (section 7.5): its entries and the neighbours that bound them. */
function revealRange(trie: PartialTrie, map: AuthMap, query: RangeQuery): void {
  const problem = rangeQueryProblem(query)
  if (problem) throw new RangeError(`range proof: ${problem}`)
  const range = new KeyRange(query.prefix, query.gt, query.lt)
  const limit = query.limit ?? Infinity
  if (limit <= 0 || map.size === 0 || range.empty) return
  const reverse = query.reverse === true
  const leaves = listLeaves(map, query.prefix, query)
  for (const i of leaves) trie.reveal(map.keys[i], true)
  // A full page ends at its last entry; otherwise the neighbour past the range ends it.
  const full = leaves.length >= limit
  const below = !reverse || !full ? leafBelow(map, range) : -1
  const above = reverse || !full ? leafAbove(map, range) : -1
  if (below >= 0) trie.reveal(map.keys[below], false)
  if (above >= 0) trie.reveal(map.keys[above], false)
}

/** A membership proof if the key is present, else an absence proof. */
export function proveKey(map: AuthMap, key: string): KeyProof {
  if (typeof key !== 'string' || !key.isWellFormed()) throw new EncodeError('ENCODE_STRING', `state key ${JSON.stringify(key)} is not a well-formed string`)
  const trie = openMap(map)
  trie.reveal(key, true)
  return { version: STATE_PROOF_VERSION, type: map.get(key) === undefined ? 'absence' : 'membership', key, nodes: trie.toNodes() }
}

/** Proves that `map.list(prefix, opts)` returns exactly what it returns. */
export function proveRange(map: AuthMap, query: RangeQuery): RangeProof {
  const trie = openMap(map)
  revealRange(trie, map, query)
  const proof: RangeProof = { version: STATE_PROOF_VERSION, type: 'range', prefix: query.prefix, nodes: [] }
  if (query.gt !== undefined) proof.gt = query.gt
  if (query.lt !== undefined) proof.lt = query.lt
  if (query.limit !== undefined) proof.limit = query.limit
  if (query.reverse !== undefined) proof.reverse = query.reverse
  proof.nodes = trie.toNodes()
  return proof
}

/**
 * The witness for one op at the current root: covers the reads and listings it made (at the
 * pre-state) and every path its changes, applied in order, walk through.
 */
export function proveWitness(map: AuthMap, access: StateAccess, changes: readonly Change[]): Witness {
  const trie = openMap(map)
  for (const key of access.reads) trie.reveal(key, true)
  for (const query of access.lists) revealRange(trie, map, query)
  // Applying the changes opens, in the shared pre-state nodes, every path they need.
  trie.apply(changes)
  return { version: STATE_PROOF_VERSION, type: 'witness', nodes: trie.toNodes() }
}
