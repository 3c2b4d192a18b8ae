// The canonical encoding: the one byte form of every value that Glassbox hashes or signs.
// Specified in docs/protocol.md ("Canonical encoding"); test/vectors/canonical.json pins it.
//
// A value is one tag byte followed by its body:
//   0x00 null | 0x01 false | 0x02 true
//   0x03 number  8 bytes IEEE-754 float64, big-endian; finite only, -0 written as 0
//   0x04 string  varint byte length, UTF-8 bytes (well-formed: no lone surrogates)
//   0x05 bytes   varint length, raw bytes
//   0x06 array   varint count, values
//   0x07 map     varint count, then (key string body, value) pairs, keys strictly ascending by UTF-8 bytes
// Varints are unsigned LEB128, minimal (no trailing zero groups), at most 2^53 - 1.
// Decoding rejects anything another encoder could not have produced, so bytes <-> value is a bijection.

import { DecodeError, EncodeError } from '../errors.js'

export type Canonical =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | Canonical[]
  | { [key: string]: Canonical }

export const TAG = { null: 0, false: 1, true: 2, number: 3, string: 4, bytes: 5, array: 6, map: 7 } as const

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })
const MAX_DEPTH = 64

class Writer {
  buf = new Uint8Array(256)
  view = new DataView(this.buf.buffer)
  pos = 0

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  byte(b: number): void {
    this.reserve(1)
    this.buf[this.pos++] = b
  }

  varint(n: number): void {
    this.reserve(8)
    while (n > 0x7f) {
      this.buf[this.pos++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    this.buf[this.pos++] = n
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.buf.set(bytes, this.pos)
    this.pos += bytes.length
  }

  float(n: number): void {
    this.reserve(8)
    this.view.setFloat64(this.pos, n === 0 ? 0 : n)
    this.pos += 8
  }
}

/** Bytes of the varint of `n`. */
function varintSize(n: number): number {
  let size = 1
  while (n > 0x7f) {
    n = Math.floor(n / 0x80)
    size++
  }
  return size
}

/** Strings up to this many UTF-16 units are written in place; longer ones through a copy. */
const IN_PLACE_UNITS = 4096

/** A string's body (varint byte length, UTF-8 bytes); `s` must be well-formed. */
function writeUtf8(w: Writer, s: string): void {
  if (s.length > IN_PLACE_UNITS) {
    const bytes = utf8.encode(s)
    w.varint(bytes.length)
    return w.raw(bytes)
  }
  // Written where it goes, after room for the longest varint its length could need (3 bytes of
  // UTF-8 at most per UTF-16 unit); moved back when the varint turns out shorter.
  const room = varintSize(s.length * 3)
  w.reserve(room + s.length * 3)
  const { written } = utf8.encodeInto(s, w.buf.subarray(w.pos + room))
  const size = varintSize(written)
  if (size < room) w.buf.copyWithin(w.pos + size, w.pos + room, w.pos + room + written)
  w.varint(written)
  w.pos += written
}

function encodeString(w: Writer, s: string): void {
  if (!s.isWellFormed()) throw new EncodeError('ENCODE_STRING', 'string has a lone surrogate')
  writeUtf8(w, s)
}

/** Any UTF-16 surrogate: only where there is none does the order of code units agree with UTF-8's. */
const SURROGATE = /[\uD800-\uDFFF]/

/** Byte-wise comparison: the order of map keys, and of state keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

function write(w: Writer, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new EncodeError('ENCODE_DEPTH', `value nested deeper than ${MAX_DEPTH}`)
  if (v === null) return w.byte(TAG.null)
  switch (typeof v) {
    case 'boolean':
      return w.byte(v ? TAG.true : TAG.false)
    case 'number':
      if (!Number.isFinite(v)) throw new EncodeError('ENCODE_NUMBER', `number ${v} is not finite`)
      w.byte(TAG.number)
      return w.float(v)
    case 'string':
      w.byte(TAG.string)
      return encodeString(w, v)
    case 'object':
      break
    default:
      throw new EncodeError('ENCODE_TYPE', `cannot encode a value of type ${typeof v}`)
  }
  if (v instanceof Uint8Array) {
    w.byte(TAG.bytes)
    w.varint(v.length)
    return w.raw(v)
  }
  if (Array.isArray(v)) {
    w.byte(TAG.array)
    w.varint(v.length)
    for (const item of v) write(w, item, depth + 1)
    return
  }
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) {
    throw new EncodeError('ENCODE_TYPE', `cannot encode an object of class ${proto?.constructor?.name ?? '?'}`)
  }
  const obj = v as Record<string, unknown>
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined)
  for (const k of keys) if (!k.isWellFormed()) throw new EncodeError('ENCODE_STRING', 'map key has a lone surrogate')
  w.byte(TAG.map)
  w.varint(keys.length)
  if (keys.some((k) => SURROGATE.test(k))) {
    // Keys beyond the BMP: UTF-16 order differs from UTF-8's, so they are sorted by their bytes.
    const encoded = keys.map((k) => ({ k, bytes: utf8.encode(k) })).sort((a, b) => compareBytes(a.bytes, b.bytes))
    for (const { k, bytes } of encoded) {
      w.varint(bytes.length)
      w.raw(bytes)
      write(w, obj[k], depth + 1)
    }
    return
  }
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const k of keys) {
    writeUtf8(w, k)
    write(w, obj[k], depth + 1)
  }
}

/**
 * Encodes a value canonically. Object properties whose value is `undefined` are left out (so an
 * optional field that is absent and one set to undefined encode alike); anything else that is not
 * a Canonical value throws EncodeError.
 */
export function encode(value: unknown): Uint8Array {
  // One writer serves every call (encode never calls itself); its buffer is kept unless it grew large.
  const w = scratch
  w.pos = 0
  try {
    write(w, value, 0)
    return w.buf.slice(0, w.pos)
  } finally {
    if (w.buf.length > MAX_KEPT_BYTES) scratch = new Writer()
  }
}

/** A writer's buffer beyond this size is let go after the call that grew it. */
const MAX_KEPT_BYTES = 1 << 20
let scratch = new Writer()

class Reader {
  pos = 0
  view: DataView
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  fail(message: string): never {
    throw new DecodeError('DECODE_INVALID', `${message} at byte ${this.pos}`)
  }

  byte(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end')
    return this.buf[this.pos++]
  }

  varint(): number {
    let n = 0
    let scale = 1
    for (let i = 0; ; i++) {
      const b = this.byte()
      if (i === 7 && b > 0x0f) this.fail('varint over 2^53')
      n += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) this.fail('non-minimal varint')
        return n
      }
      scale *= 0x80
    }
  }

  take(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) this.fail(`length ${n} runs past the end`)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  string(): string {
    const bytes = this.take(this.varint())
    try {
      return utf8Strict.decode(bytes)
    } catch {
      return this.fail('invalid UTF-8')
    }
  }
}

function read(r: Reader, depth: number): Canonical {
  if (depth > MAX_DEPTH) r.fail(`value nested deeper than ${MAX_DEPTH}`)
  const tag = r.byte()
  switch (tag) {
    case TAG.null:
      return null
    case TAG.false:
      return false
    case TAG.true:
      return true
    case TAG.number: {
      const at = r.pos
      r.take(8)
      const n = r.view.getFloat64(at)
      if (!Number.isFinite(n)) r.fail('non-finite number')
      if (n === 0 && r.buf[at] !== 0) r.fail('negative zero')
      return n
    }
    case TAG.string:
      return r.string()
    case TAG.bytes:
      return r.take(r.varint()).slice()
    case TAG.array: {
      const count = r.varint()
      if (count > r.buf.length - r.pos) r.fail(`array count ${count} exceeds the remaining bytes`)
      const out: Canonical[] = []
      for (let i = 0; i < count; i++) out.push(read(r, depth + 1))
      return out
    }
    case TAG.map: {
      const count = r.varint()
      if (count > r.buf.length - r.pos) r.fail(`map count ${count} exceeds the remaining bytes`)
      const out: { [key: string]: Canonical } = Object.create(null)
      let prev: Uint8Array | null = null
      for (let i = 0; i < count; i++) {
        const keyStart = r.pos
        const len = r.varint()
        const keyBytes = r.take(len)
        if (prev && compareBytes(prev, keyBytes) >= 0) {
          r.pos = keyStart
          r.fail('map keys not strictly ascending')
        }
        prev = keyBytes
        let key: string
        try {
          key = utf8Strict.decode(keyBytes)
        } catch {
          return r.fail('invalid UTF-8 in map key')
        }
        out[key] = read(r, depth + 1)
      }
      return Object.setPrototypeOf(out, Object.prototype)
    }
    default:
      return r.fail(`unknown tag 0x${tag.toString(16)}`)
  }
}

/** Decodes canonical bytes; throws DecodeError on anything non-canonical or trailing bytes. */
export function decode(bytes: Uint8Array): Canonical {
  const r = new Reader(bytes)
  const value = read(r, 0)
  if (r.pos !== bytes.length) r.fail('trailing bytes')
  return value
}
