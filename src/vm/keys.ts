// Key order and key rules shared by the overlay and the host side of `tx`.

/**
 * Unicode code point order (the order of the keys' UTF-8 bytes). Plain `<` compares UTF-16 code
 * units, which puts U+E000..U+FFFF after astral characters; shifting the unit ranges fixes that.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800
  if (unit >= 0xd800) return unit + 0x2000
  return unit
}

export const SYS_PREFIX = '.sys/'
export const INPUTS_PREFIX = '.sys/inputs/'
export const SOURCE_KEY = '.sys/contract/source'

const PUBKEY = /^[0-9a-f]{64}$/

export function isPubkey(value: unknown): value is string {
  return typeof value === 'string' && PUBKEY.test(value)
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** The error that a key breaks, or null; `.sys/` is checked separately because reads may use it. */
export function keyProblem(key: string, maxKeyBytes: number): string | null {
  if (key.length === 0) return 'key must not be empty'
  if (!key.isWellFormed()) return 'key must be well-formed Unicode (it holds a lone surrogate)'
  const bytes = utf8Bytes(key)
  if (bytes > maxKeyBytes) return `key is ${bytes} bytes, over the ${maxKeyBytes}-byte limit (maxKeyBytes)`
  return null
}
