// The hashes of the state trie (docs/protocol.md §7.2). Every preimage starts with a tag byte of
// its own, distinct from Hypercore's 0x00/0x01/0x02, so that a state node, a log node and a
// canonical value never share a preimage format.
//
// Browser-safe apart from the hash function itself.

import { encode } from '../../codec/canonical.js'
import { hash, HASH_BYTES } from '../../codec/hash.js'
import type { Json } from '../../vm/types.js'
import { varintLength, writeVarint } from './bits.js'

export const LEAF_TAG = 0x10
export const INNER_TAG = 0x11
export const EMPTY_TAG = 0x12

/** The root of the empty map: BLAKE2b-256(0x12). */
export const EMPTY_ROOT: Uint8Array = hash(Uint8Array.of(EMPTY_TAG))

/** BLAKE2b-256 of the value's canonical encoding. */
export function valueHash(value: Json): Uint8Array {
  return hash(encode(value))
}

/** BLAKE2b-256(0x10 ‖ varint(key length) ‖ key UTF-8 ‖ value hash). */
export function leafHash(keyBytes: Uint8Array, vh: Uint8Array): Uint8Array {
  const pre = new Uint8Array(1 + varintLength(keyBytes.length) + keyBytes.length + HASH_BYTES)
  pre[0] = LEAF_TAG
  const at = writeVarint(pre, 1, keyBytes.length)
  pre.set(keyBytes, at)
  pre.set(vh, at + keyBytes.length)
  return hash(pre)
}

// Inner preimages by the length of their varint (a crit bit below 2^35 takes at most 5 bytes).
const innerPre = [0, 1, 2, 3, 4, 5].map((n) => new Uint8Array(1 + n + 2 * HASH_BYTES))

/** BLAKE2b-256(0x11 ‖ varint(crit bit) ‖ left hash ‖ right hash). */
export function innerHash(crit: number, left: Uint8Array, right: Uint8Array): Uint8Array {
  const pre = innerPre[varintLength(crit)]
  pre[0] = INNER_TAG
  const at = writeVarint(pre, 1, crit)
  pre.set(left, at)
  pre.set(right, at + HASH_BYTES)
  return hash(pre)
}
