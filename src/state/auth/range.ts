// A key range as `list(prefix, {gt, lt})` reads it (docs/protocol.md §7.5): the keys that start
// with `prefix`, are greater than `gt` and less than `lt`. Such a set is an interval in key order,
// so every key outside it lies either below it or above it.
//
// Browser-safe: no Node imports.

import { compareKeys } from '../key-order.js'

/** A listing: the arguments of `StateReader.list(prefix, opts)`. */
export interface RangeQuery {
  prefix: string
  /** Only keys strictly greater than this one. */
  gt?: string
  /** Only keys strictly less than this one. */
  lt?: string
  /** At most this many entries, the first ones in the listing's direction (none if <= 0). */
  limit?: number
  /** List from the highest key down. */
  reverse?: boolean
}

export class KeyRange {
  /** True when no string at all lies in the range (e.g. gt >= lt). */
  readonly empty: boolean
  /** The lower bound is `gt` (exclusive) rather than `prefix` (inclusive). */
  readonly lowerIsGt: boolean
  /** The upper bound is `lt` (exclusive) rather than the end of the keys with `prefix`. */
  readonly upperIsLt: boolean

  constructor(
    readonly prefix: string,
    readonly gt?: string,
    readonly lt?: string,
  ) {
    this.lowerIsGt = gt !== undefined && compareKeys(gt, prefix) >= 0
    // The least string in the range, if any: the smallest string above gt is gt + U+0000.
    const least = this.lowerIsGt ? `${gt}\u0000` : prefix
    this.empty = !least.startsWith(prefix) || (lt !== undefined && compareKeys(least, lt) >= 0)
    this.upperIsLt = lt !== undefined && lt.startsWith(prefix)
  }

  contains(key: string): boolean {
    return (
      key.startsWith(this.prefix) &&
      (this.gt === undefined || compareKeys(key, this.gt) > 0) &&
      (this.lt === undefined || compareKeys(key, this.lt) < 0)
    )
  }

  /** The key sorts before every key of the (non-empty) range. */
  below(key: string): boolean {
    return compareKeys(key, this.prefix) < 0 || (this.gt !== undefined && compareKeys(key, this.gt) <= 0)
  }

  /** The key sorts after every key of the (non-empty) range. */
  above(key: string): boolean {
    return !this.below(key) && !this.contains(key)
  }
}

const isWellFormedString = (s: unknown): s is string => typeof s === 'string' && s.isWellFormed()

/** Why a query is malformed, or null. Strings must be well-formed Unicode. */
export function rangeQueryProblem(q: RangeQuery): string | null {
  if (!isWellFormedString(q.prefix)) return 'prefix must be a well-formed string'
  if (q.gt !== undefined && !isWellFormedString(q.gt)) return 'gt must be a well-formed string'
  if (q.lt !== undefined && !isWellFormedString(q.lt)) return 'lt must be a well-formed string'
  if (q.limit !== undefined && (typeof q.limit !== 'number' || Number.isNaN(q.limit))) return 'limit must be a number'
  if (q.reverse !== undefined && typeof q.reverse !== 'boolean') return 'reverse must be a boolean'
  return null
}
