// Plain JSON of values that hold bytes: every Uint8Array becomes its hex string. The CLI, the
// local socket and the HTTP API all print results this way.

import type { Json } from '../vm/types.js'
import { toHex } from './hash.js'

/** Converts a value to plain JSON: bytes become hex strings, everything else is kept. */
export function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value, bytesAsHex) ?? 'null') as Json
}

/** JSON text of a value, bytes as hex, indented for people and pipes alike. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, bytesAsHex, 2) ?? 'null'
}

/** A value on one line (for lists and history), bytes as hex. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value, bytesAsHex) ?? 'null'
}

function bytesAsHex(this: unknown, key: string, value: unknown): unknown {
  // The holder's own property, because Buffer's toJSON runs before a replacer sees the value.
  const raw = (this as Record<string, unknown>)[key]
  if (raw instanceof Uint8Array) return toHex(raw)
  return value
}
