// The browser's twin of primitives.ts (same exports, same bytes), for the judge page: BLAKE2b from
// @noble/hashes and Ed25519 from @noble/curves, audited pure-JavaScript libraries with no
// dependencies, plus plain hex and UTF-8 code. The page's bundler puts this file in place of
// primitives.ts; Node keeps libsodium, which is several times faster.

import { xchacha20 } from '@noble/ciphers/chacha.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { blake2b } from '@noble/hashes/blake2.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

export const PRIMITIVES: string = '@noble/hashes + @noble/curves + @noble/ciphers'

export function blake2b256Into(out: Uint8Array, input: Uint8Array): void {
  out.set(blake2b(input, { dkLen: 32 }))
}

export function blake2bKeyed(outLen: number, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const h = blake2b.create({ dkLen: outLen, key })
  for (const p of parts) h.update(p)
  return h.digest()
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n))
}

export function xchacha20XorInPlace(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): void {
  xchacha20(key, nonce, data, data)
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nobleSha256.create()
  for (const p of parts) h.update(p)
  return h.digest()
}

export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey.subarray(0, 32))
}

/**
 * libsodium's rules, which the Node side applies: canonical encodings only (no ZIP-215 leniency),
 * and neither the public key nor R of small order. Never throws.
 */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  try {
    const { Point } = ed25519
    if (Point.fromBytes(publicKey, false).isSmallOrder()) return false
    if (Point.fromBytes(signature.subarray(0, 32), false).isSmallOrder()) return false
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

const HEX_DIGITS = '0123456789abcdef'
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4] + HEX_DIGITS[i & 15])

export function bytesToHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += BYTE_HEX[bytes[i]]
  return out
}

/** As Buffer.from(hex, 'hex') reads it: pairs of hex digits up to the first pair that is not one. */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1)
  for (let i = 0; i < out.length; i++) {
    const hi = digit(hex.charCodeAt(2 * i))
    const lo = digit(hex.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) return out.slice(0, i)
    out[i] = (hi << 4) | lo
  }
  return out
}

function digit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

export function bytesToBase64(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63]
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '='
    out += i + 2 < bytes.length ? B64[n & 63] : '='
  }
  return out
}

/** Standard base64 to bytes, or null unless `text` is exactly what bytesToBase64 would write. */
export function base64ToBytes(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - pad)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    const n = (B64.indexOf(text[i]) << 18) | (B64.indexOf(text[i + 1]) << 12) | (Math.max(0, B64.indexOf(text[i + 2])) << 6) | Math.max(0, B64.indexOf(text[i + 3]))
    if (o < out.length) out[o++] = (n >> 16) & 255
    if (o < out.length) out[o++] = (n >> 8) & 255
    if (o < out.length) out[o++] = n & 255
  }
  return bytesToBase64(out) === text ? out : null
}

/** The length of a string's UTF-8 encoding (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

export function randomUUID(): string {
  return (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID()
}
