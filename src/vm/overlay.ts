// Reads during an op see the pre-op state with the op's own writes laid over it.

import { compareKeys } from './keys.js'
import type { Json, ListOptions, StateEntry, StateReader } from './types.js'

export const DELETED: unique symbol = Symbol('deleted')
export type Overlay = Map<string, Json | typeof DELETED>

/** `/proposals` lists `/proposals/...`, never `/proposals-old`; '' is read as '/'. */
export function normalizePrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`
}

export function readKey(state: StateReader, overlay: Overlay, key: string): Json | undefined {
  const own = overlay.get(key)
  if (own === DELETED) return undefined
  return own !== undefined ? own : state.get(key)
}

export function listKeys(state: StateReader, overlay: Overlay, prefix: string, opts: ListOptions): StateEntry[] {
  const p = normalizePrefix(prefix)
  const { gt, lt, limit, reverse } = opts
  if (limit === 0) return []
  const own: [string, Json | typeof DELETED][] = []
  for (const entry of overlay) {
    const key = entry[0]
    if (key.startsWith(p) && (gt === undefined || compareKeys(key, gt) > 0) && (lt === undefined || compareKeys(key, lt) < 0)) {
      own.push(entry)
    }
  }
  // Each own write hides or replaces at most one state entry, so limit + own.length state entries
  // always contain every state entry of the merged first `limit`.
  const query: ListOptions = {}
  if (gt !== undefined) query.gt = gt
  if (lt !== undefined) query.lt = lt
  if (reverse) query.reverse = true
  if (limit !== undefined) query.limit = limit + own.length
  const base = state.list(p, query)
  if (own.length === 0) return limit !== undefined && base.length > limit ? base.slice(0, limit) : base
  const merged = new Map<string, Json>()
  for (const e of base) merged.set(e.key, e.value)
  for (const [key, value] of own) {
    if (value === DELETED) merged.delete(key)
    else merged.set(key, value)
  }
  const keys = [...merged.keys()].sort(compareKeys)
  if (reverse) keys.reverse()
  const picked = limit !== undefined ? keys.slice(0, limit) : keys
  return picked.map((key) => ({ key, value: merged.get(key) as Json }))
}
