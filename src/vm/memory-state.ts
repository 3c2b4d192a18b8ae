// A StateReader over an in-memory sorted map: for tests, examples and one-off judgements that hold
// the few keys an op touches.

import { compareKeys } from './keys.js'
import type { Change, Json, ListOptions, StateEntry, StateReader } from './types.js'

export class MemoryState implements StateReader {
  private readonly map = new Map<string, Json>()
  private sorted: string[] | null = []

  constructor(entries?: Iterable<readonly [string, Json]>) {
    if (entries) for (const [key, value] of entries) this.set(key, value)
  }

  get size(): number {
    return this.map.size
  }

  get(key: string): Json | undefined {
    return this.map.get(key)
  }

  set(key: string, value: Json): void {
    if (!this.map.has(key)) this.sorted = null
    this.map.set(key, value)
  }

  delete(key: string): void {
    if (this.map.delete(key)) this.sorted = null
  }

  applyChanges(changes: readonly Change[]): void {
    for (const c of changes) {
      if (c.type === 'put') this.set(c.key, c.value)
      else this.delete(c.key)
    }
  }

  list(prefix: string, opts: ListOptions = {}): StateEntry[] {
    this.sorted ??= [...this.map.keys()].sort(compareKeys)
    let keys = this.sorted.filter(
      (k) =>
        k.startsWith(prefix) &&
        (opts.gt === undefined || compareKeys(k, opts.gt) > 0) &&
        (opts.lt === undefined || compareKeys(k, opts.lt) < 0),
    )
    if (opts.reverse) keys = keys.reverse()
    if (opts.limit !== undefined) keys = keys.slice(0, opts.limit)
    return keys.map((key) => ({ key, value: this.map.get(key) as Json }))
  }

  entries(): StateEntry[] {
    return this.list('')
  }
}
