// BLAKE2b-256, the hash of every Glassbox structure (the same primitive Hypercore uses).

import { blake2b256Into, bytesToHex, hexToBytes } from './primitives.js'

export const HASH_BYTES = 32

export function hash(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_BYTES)
  hashInto(out, bytes)
  return out
}

/** BLAKE2b-256 into a caller's 32-byte buffer: for hot paths that hash millions of nodes. */
export function hashInto(out: Uint8Array, input: Uint8Array): void {
  blake2b256Into(out, input)
}

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes)
}

export function fromHex(hex: string): Uint8Array {
  return hexToBytes(hex)
}

/** A public key as Glassbox writes it in keys and acks: 64 lowercase hex characters. */
export function isPubkeyHex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}

/** The bytes of `parts`, one after the other, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
