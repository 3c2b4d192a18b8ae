// What the core needs from its platform, behind one seam: BLAKE2b-256, SHA-256 (the RFC 6962
// accumulator), Ed25519, hex, base64 and UTF-8 lengths, random UUIDs. This is the Node side, on libsodium (sodium-native) and Buffer, which are
// fast; primitives.browser.ts is its twin for the browser judge (docs/judge-page.md), swapped in by
// the page's bundler. test/crypto-vectors.test.ts runs both on the same vectors and inputs.

import { createHash, randomFillSync, randomUUID as nodeRandomUUID } from 'node:crypto'
import sodium from 'sodium-native'

export const PRIMITIVES: string = 'sodium-native'

/** BLAKE2b with a 32-byte digest, into a caller's 32-byte buffer. */
export function blake2b256Into(out: Uint8Array, input: Uint8Array): void {
  sodium.crypto_generichash(out as Buffer, input as Buffer)
}

/** BLAKE2b keyed by `key` over `parts` one after the other, with an `outLen`-byte digest (16..64): confidential blocks' key derivation and MAC. */
export function blake2bKeyed(outLen: number, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const out = Buffer.alloc(outLen)
  sodium.crypto_generichash_batch(out, parts.map(asBuffer), asBuffer(key))
  return new Uint8Array(out.buffer, out.byteOffset, outLen)
}

/** `n` random bytes from the platform's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n))
}

/** XORs `data` with the XChaCha20 keystream of `key` (32 bytes) and `nonce` (24 bytes), in place. */
export function xchacha20XorInPlace(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): void {
  const d = asBuffer(data)
  sodium.crypto_stream_xchacha20_xor(d, d, asBuffer(nonce), asBuffer(key))
}

/** SHA-256 of the concatenation of `parts` (the RFC 6962 hashes are a prefix byte and one or two inputs). */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** A detached Ed25519 signature; `secretKey` is libsodium's 64 bytes (seed, then public key). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const sig = Buffer.alloc(64)
  sodium.crypto_sign_detached(sig, asBuffer(message), asBuffer(secretKey))
  return new Uint8Array(sig)
}

/** libsodium's verification: also refuses small-order and non-canonical keys and points. */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return sodium.crypto_sign_verify_detached(asBuffer(signature), asBuffer(message), asBuffer(publicKey))
}

export function bytesToHex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex')
}

/** Buffer's reading: pairs of hex digits up to the first pair that is not one. */
export function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** Standard base64 (RFC 4648 §4), with padding. */
export function bytesToBase64(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64')
}

/** Standard base64 to bytes, or null unless `text` is exactly what bytesToBase64 would write. */
export function base64ToBytes(text: string): Uint8Array | null {
  const bytes = new Uint8Array(Buffer.from(text, 'base64'))
  return bytesToBase64(bytes) === text ? bytes : null
}

/** The length of a string's UTF-8 encoding (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

export function randomUUID(): string {
  return nodeRandomUUID()
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}
