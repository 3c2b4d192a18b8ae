// A value in the state is shared: the map holds it, readers are handed it (`get`, `list`, a block
// event's changes) and the contract reads it. Changed in place by any of them, it would change the
// state in memory but not its leaf hash, so that what the next op reads is no longer what the root
// commits to, and a monitor replaying the log would find the executor in breach. So a value is
// frozen, deeply, as it enters the state: a change in place throws (in strict code) instead.

import type { Json } from '../vm/types.js'

/** Freezes `value` and everything in it; returns it. */
export function freezeValue<T extends Json>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  // A stack rather than recursion: a value nested deeper than the call stack would overflow it.
  const stack: object[] = [value]
  while (stack.length > 0) {
    const v = stack.pop() as Record<string, unknown>
    Object.freeze(v)
    for (const k in v) {
      const child = v[k]
      if (child !== null && typeof child === 'object' && !Object.isFrozen(child)) stack.push(child)
    }
  }
  return value
}
