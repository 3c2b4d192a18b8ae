// Ordered walks over an AuthMap: seek to a bound, then visit leaves in key order either way.

import { EncodeError } from '../../errors.js'
import type { ListOptions, StateEntry } from '../../vm/types.js'
import type { AuthMap } from './auth-map.js'
import { bitAt, firstDiff, utf8Bytes } from './bits.js'
import { KeyRange } from './range.js'

/** A bit string to seek to: a key (tail 0), or the bound just above every key with a prefix (tail 1). */
export interface Target {
  bytes: Uint8Array
  tail: number
}

export const keyTarget = (key: string): Target => ({ bytes: utf8Bytes(key), tail: 0 })
export const prefixEndTarget = (prefix: string): Target => ({ bytes: utf8Bytes(prefix), tail: 1 })

/** Leaves in order (or in reverse): a stack of subtrees still to visit, the next one on top. */
export class Cursor {
  private readonly stack: number[] = []

  constructor(
    private readonly map: AuthMap,
    readonly reverse: boolean,
  ) {}

  push(ref: number): void {
    this.stack.push(ref)
  }

  /** The next leaf's index, or -1 when there is none. */
  next(): number {
    let ref = this.stack.pop()
    if (ref === undefined) return -1
    const { left, right } = this.map
    while (ref >= 0) {
      if (this.reverse) {
        this.stack.push(left[ref])
        ref = right[ref]
      } else {
        this.stack.push(right[ref])
        ref = left[ref]
      }
    }
    return ~ref
  }
}

/**
 * A cursor whose first leaf is the first one after the target (forward) or before it (reverse);
 * a leaf equal to the target comes first if `inclusive`.
 */
export function seek(map: AuthMap, t: Target, reverse: boolean, inclusive: boolean): Cursor {
  const cur = new Cursor(map, reverse)
  if (map.size === 0) return cur
  const { crit, left, right } = map
  const bit = (pos: number) => bitAt(t.bytes, t.bytes.length, t.tail, pos)
  const path: number[] = []
  let ref = map.rootRef
  while (ref >= 0) {
    path.push(ref)
    ref = bit(crit[ref]) ? right[ref] : left[ref]
  }
  const leafKey = utf8Bytes(map.keys[~ref])
  const c = firstDiff(t.bytes, t.bytes.length, t.tail, leafKey, leafKey.length, 0)
  // Where the target leaves the trie: above node x, whose keys all differ from it first at bit c.
  let d = path.length
  let x = ref
  if (c >= 0) {
    d = 0
    while (d < path.length && crit[path[d]] < c) d++
    if (d < path.length) x = path[d]
  }
  for (let i = 0; i < d; i++) {
    const n = path[i]
    const goesRight = bit(crit[n]) === 1
    if (!reverse && !goesRight) cur.push(right[n])
    if (reverse && goesRight) cur.push(left[n])
  }
  if (c < 0) {
    if (inclusive) cur.push(ref)
  } else {
    const targetAfterX = bit(c) === 1
    if (reverse === targetAfterX) cur.push(x)
  }
  return cur
}

/** A cursor at the first entry of the (non-empty) range in the given direction. */
export function rangeCursor(map: AuthMap, range: KeyRange, reverse: boolean): Cursor {
  if (!reverse) return range.lowerIsGt ? seek(map, keyTarget(range.gt as string), false, false) : seek(map, keyTarget(range.prefix), false, true)
  return range.upperIsLt ? seek(map, keyTarget(range.lt as string), true, false) : seek(map, prefixEndTarget(range.prefix), true, false)
}

/** The leaf just below the (non-empty) range, or -1. */
export function leafBelow(map: AuthMap, range: KeyRange): number {
  return range.lowerIsGt ? seek(map, keyTarget(range.gt as string), true, true).next() : seek(map, keyTarget(range.prefix), true, false).next()
}

/** The leaf just above the (non-empty) range, or -1. */
export function leafAbove(map: AuthMap, range: KeyRange): number {
  return range.upperIsLt ? seek(map, keyTarget(range.lt as string), false, true).next() : seek(map, prefixEndTarget(range.prefix), false, true).next()
}

function checkBound(name: string, s: string | undefined): void {
  if (s !== undefined && (typeof s !== 'string' || !s.isWellFormed())) {
    throw new EncodeError('ENCODE_STRING', `list(): ${name} ${JSON.stringify(s)} is not a well-formed string`)
  }
}

/** The leaf indexes `list(prefix, opts)` returns, in its order. */
export function listLeaves(map: AuthMap, prefix: string, opts: ListOptions): number[] {
  checkBound('prefix', prefix)
  checkBound('gt', opts.gt)
  checkBound('lt', opts.lt)
  const limit = opts.limit ?? Infinity
  const out: number[] = []
  const range = new KeyRange(prefix, opts.gt, opts.lt)
  if (limit <= 0 || map.size === 0 || range.empty) return out
  const cur = rangeCursor(map, range, opts.reverse === true)
  for (let i = cur.next(); i >= 0 && range.contains(map.keys[i]); i = cur.next()) {
    out.push(i)
    if (out.length >= limit) break
  }
  return out
}

export function listEntries(map: AuthMap, prefix: string, opts: ListOptions): StateEntry[] {
  return listLeaves(map, prefix, opts).map((i) => ({ key: map.keys[i], value: map.valueAt(i) }))
}

export function* walkEntries(map: AuthMap): IterableIterator<StateEntry> {
  const cur = new Cursor(map, false)
  if (map.size > 0) cur.push(map.rootRef)
  for (let i = cur.next(); i >= 0; i = cur.next()) yield { key: map.keys[i], value: map.valueAt(i) }
}
