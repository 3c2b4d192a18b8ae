// BLAKE2b-256, the hash of every Glassbox structure (the same primitive Hypercore uses).

import sodium from 'sodium-native'

export const HASH_BYTES = 32

export function hash(bytes: Uint8Array): Uint8Array {
  const out = Buffer.alloc(HASH_BYTES)
  sodium.crypto_generichash(out, bytes as Buffer)
  return new Uint8Array(out.buffer, out.byteOffset, HASH_BYTES)
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** A public key as Glassbox writes it in keys and acks: 64 lowercase hex characters. */
export function isPubkeyHex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}
