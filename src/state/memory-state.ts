// The materialized contract state: an ordered key/value map that the executor and readers query.

import btree from 'sorted-btree'
import type { Change, Json, ListOptions, StateEntry, StateReader } from '../vm/types.js'
import { compareKeys } from './key-order.js'

// sorted-btree is CommonJS: its class is the `default` property of module.exports.
const BTree = btree.default

/** What undoes one applied change: the key and the value it had before (undefined: absent). */
export type Undo = { key: string; before: Json | undefined }

export class MemoryState implements StateReader {
  private readonly tree = new BTree<string, Json>(undefined, compareKeys)

  constructor(entries?: Iterable<readonly [string, Json]>) {
    if (entries) for (const [key, value] of entries) this.tree.set(key, value)
  }

  get size(): number {
    return this.tree.size
  }

  get(key: string): Json | undefined {
    return this.tree.get(key)
  }

  list(prefix: string, opts: ListOptions = {}): StateEntry[] {
    return listRange(this.tree, prefix, opts)
  }

  /** Applies changes in order and returns what undoes them (apply the undos in reverse). */
  apply(changes: readonly Change[], undo?: Undo[]): void {
    for (const c of changes) {
      if (undo) undo.push({ key: c.key, before: this.tree.get(c.key) })
      if (c.type === 'put') this.tree.set(c.key, c.value)
      else this.tree.delete(c.key)
    }
  }

  revert(undo: readonly Undo[]): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const { key, before } = undo[i]
      if (before === undefined) this.tree.delete(key)
      else this.tree.set(key, before)
    }
  }
}

/** Lists `prefix`-matching entries between gt and lt; shared by every ordered map in Glassbox. */
export function listRange(
  tree: { entries(lowest?: string): IterableIterator<[string, Json]>; entriesReversed(highest?: string): IterableIterator<[string, Json]> },
  prefix: string,
  opts: ListOptions,
): StateEntry[] {
  const limit = opts.limit ?? Infinity
  const out: StateEntry[] = []
  if (limit <= 0) return out
  const inRange = (key: string) =>
    key.startsWith(prefix) &&
    (opts.gt === undefined || compareKeys(key, opts.gt) > 0) &&
    (opts.lt === undefined || compareKeys(key, opts.lt) < 0)
  if (!opts.reverse) {
    const low = opts.gt !== undefined && compareKeys(opts.gt, prefix) > 0 ? opts.gt : prefix
    for (const [key, value] of tree.entries(low)) {
      if (!key.startsWith(prefix) && compareKeys(key, prefix) > 0) break
      if (opts.lt !== undefined && compareKeys(key, opts.lt) >= 0) break
      if (!inRange(key)) continue
      out.push({ key, value })
      if (out.length >= limit) break
    }
  } else {
    // The highest key with this prefix sorts below prefix + U+10FFFF.
    const high = opts.lt !== undefined && compareKeys(opts.lt, prefix + '\u{10FFFF}') < 0 ? opts.lt : prefix + '\u{10FFFF}'
    for (const [key, value] of tree.entriesReversed(high)) {
      if (compareKeys(key, prefix) < 0) break
      if (opts.gt !== undefined && compareKeys(key, opts.gt) <= 0) break
      if (!inRange(key)) continue
      out.push({ key, value })
      if (out.length >= limit) break
    }
  }
  return out
}
