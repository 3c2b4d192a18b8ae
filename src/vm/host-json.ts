// JSON text for values the host hands to the sandbox. Ops come from other parties' oplogs, so
// their shape is checked here, before any of it reaches the guest.

import { MAX_JSON_DEPTH } from './limits.js'
import { utf8Bytes } from './keys.js'

/** The JSON text of `value`, or the reason it cannot cross into the sandbox. */
export function toGuestJson(value: unknown, what: string, maxBytes?: number, limitName?: string): { text: string } | { error: string } {
  const depth = jsonDepth(value)
  if (depth > MAX_JSON_DEPTH) return { error: `${what} nests deeper than ${MAX_JSON_DEPTH} levels` }
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    return { error: `${what} is not JSON: ${(err as Error).message}` }
  }
  if (text === undefined) return { error: `${what} is not JSON` }
  if (maxBytes !== undefined) {
    const bytes = utf8Bytes(text)
    if (bytes > maxBytes) return { error: `${what} is ${bytes} bytes of JSON, over the ${maxBytes}-byte limit (${limitName ?? 'limit'})` }
  }
  return { text }
}

/**
 * Nesting depth of arrays and objects. The recursion stops one level past MAX_JSON_DEPTH, so a
 * hostile value nested a million levels deep costs no more stack than a legal one.
 */
export function jsonDepth(value: unknown, above = 0): number {
  if (value === null || typeof value !== 'object') return above
  const depth = above + 1
  if (depth > MAX_JSON_DEPTH) return depth
  let max = depth
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    const d = jsonDepth(child, depth)
    if (d > max) {
      max = d
      if (max > MAX_JSON_DEPTH) return max
    }
  }
  return max
}
