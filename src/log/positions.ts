// Where every oplog stands at a seal (docs/protocol.md §8.2): the last op seq the executor has
// acknowledged from each oplog that has had one. A seal commits to the hash of this table, so a
// replica that starts from a state checkpoint instead of genesis learns, from one signature, which
// op each oplog owes next, without reading the history that decided it. Browser-safe.

import { encode } from '../codec/canonical.js'
import { hash } from '../codec/hash.js'

/** A tag of its own, so a positions preimage never shares a format with a state node or a value. */
export const POSITIONS_TAG = 0x20

/** Oplog (hex key) -> the last seq acknowledged from it. */
export type Positions = ReadonlyMap<string, number>

/** BLAKE2b-256(0x20 ‖ canonical map {oplog: last seq}); the map's keys sort as canonical maps do. */
export function positionsHash(positions: Positions): Uint8Array {
  const body = encode(Object.fromEntries(positions))
  const pre = new Uint8Array(1 + body.length)
  pre[0] = POSITIONS_TAG
  pre.set(body, 1)
  return hash(pre)
}
