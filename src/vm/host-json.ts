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

/** Nesting depth of arrays and objects, without recursion (a hostile op may nest very deeply). */
export function jsonDepth(value: unknown): number {
  let max = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number]
    if (v === null || typeof v !== 'object') continue
    const depth = d + 1
    if (depth > max) max = depth
    if (depth > MAX_JSON_DEPTH) return depth
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth])
  }
  return max
}
