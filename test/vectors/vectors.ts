// Loads the spec test vectors in test/vectors/*.json (kept as JSON so other implementations can use them).

import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Canonical } from '../../src/codec/canonical.js'

export interface Vector {
  name: string
  value: unknown
  hex: string
}

export function loadVectors(file: string): Vector[] {
  return JSON.parse(readFileSync(path.join(process.cwd(), 'test', 'vectors', file), 'utf8')).vectors
}

/** In vector files bytes are written {"$bytes": "hex"}. */
export function fromVectorJson(v: unknown): Canonical {
  if (Array.isArray(v)) return v.map(fromVectorJson)
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) return new Uint8Array(Buffer.from(o.$bytes, 'hex'))
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromVectorJson(x)]))
  }
  return v as Canonical
}
