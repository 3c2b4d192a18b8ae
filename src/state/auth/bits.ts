// Key bit strings (docs/protocol.md §7.1). The trie branches on the bits of a key's UTF-8 bytes,
// with a 1 bit before every byte and a 0 bit after the last one: no key's bit string is then a
// prefix of another's (a crit-bit trie needs that), and bit string order is key order.
//
// Bit position p lies in byte i = floor(p / 9): p = 9i is the "byte i exists" flag, and p = 9i + j
// (j = 1..8) is bit 8 - j of byte i, most significant first. Past the end of the key every bit is
// the string's `tail`: 0 for a key (its 0 terminator repeated), 1 for the bound just above every key
// with a given prefix (section 7.5).
//
// Browser-safe: no Node imports.

/** Bits per key byte: the flag and the eight data bits. */
export const BITS_PER_BYTE = 9

/** The largest crit bit the protocol accepts; Int32 so that nodes fit typed arrays. */
export const MAX_CRIT = 0x7fffffff

const utf8 = new TextEncoder()

export const EMPTY_BYTES = new Uint8Array(0)

export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s)
}

/** Writes `s` as UTF-8 into `buf` (which must hold 3 bytes per UTF-16 unit) and returns the length. */
export function utf8Into(s: string, buf: Uint8Array): number {
  return utf8.encodeInto(s, buf).written
}

/** Bit `pos` of the bit string of bytes[0..len) followed by `tail` forever. */
export function bitAt(bytes: Uint8Array, len: number, tail: number, pos: number): number {
  const i = (pos / BITS_PER_BYTE) | 0
  if (i >= len) return tail
  const j = pos - i * BITS_PER_BYTE
  return j === 0 ? 1 : (bytes[i] >> (8 - j)) & 1
}

/** Position of the first zero bit at or after byte `from` of a[from..len), or -1. */
function firstZero(a: Uint8Array, from: number, len: number): number {
  for (let i = from; i < len; i++) {
    // The flag bit of byte i is 1, so the first zero is a data bit.
    if (a[i] !== 0xff) return i * BITS_PER_BYTE + 1 + (Math.clz32(~a[i] & 0xff) - 24)
  }
  return -1
}

/**
 * The first bit position where two bit strings differ (each given as bytes, length and tail), or -1
 * if they are equal. For two distinct keys this is their crit bit.
 */
export function firstDiff(a: Uint8Array, alen: number, atail: number, b: Uint8Array, blen: number, btail: number): number {
  const m = alen < blen ? alen : blen
  for (let i = 0; i < m; i++) {
    const x = a[i] ^ b[i]
    if (x !== 0) return i * BITS_PER_BYTE + 1 + (Math.clz32(x) - 24)
  }
  if (alen === blen) return atail === btail ? -1 : m * BITS_PER_BYTE
  // The longer string continues with a 1 flag; the shorter one with its tail.
  const [long, llen, ltail, stail] = alen > blen ? [a, alen, atail, btail] : [b, blen, btail, atail]
  if (stail === 0) return m * BITS_PER_BYTE
  const z = firstZero(long, m, llen)
  if (z >= 0) return z
  return ltail === 0 ? llen * BITS_PER_BYTE : -1
}

export function varintLength(n: number): number {
  let len = 1
  while (n > 0x7f) {
    n = Math.floor(n / 0x80)
    len++
  }
  return len
}

/** Writes n as an unsigned LEB128 varint (the canonical encoding's) at `at`; returns the end. */
export function writeVarint(buf: Uint8Array, at: number, n: number): number {
  while (n > 0x7f) {
    buf[at++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  buf[at++] = n
  return at
}

const HEX = '0123456789abcdef'

export function bytesToHex(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15]
  return s
}

const HEX_VALUE = new Int8Array(256).fill(-1)
for (let i = 0; i < 16; i++) HEX_VALUE[HEX.charCodeAt(i)] = i

/** Parses 64 lowercase hex characters (a hash); null for anything else. */
export function hashFromHex(hex: unknown): Uint8Array | null {
  if (typeof hex !== 'string' || hex.length !== 64) return null
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) {
    const hi = HEX_VALUE[hex.charCodeAt(2 * i)] ?? -1
    const lo = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? -1
    if (hi < 0 || lo < 0) return null
    out[i] = (hi << 4) | lo
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
