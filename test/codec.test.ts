import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decode, encode } from '../src/codec/canonical.js'
import { decodeEntry, decodeOp, encodeEntry } from '../src/codec/messages.js'
import { DecodeError, EncodeError } from '../src/errors.js'
import { fromVectorJson, loadVectors } from './vectors/vectors.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))

test('canonical encoding matches the spec vectors byte for byte', () => {
  const vectors = loadVectors('canonical.json')
  assert.ok(vectors.length >= 15)
  for (const v of vectors) {
    const value = fromVectorJson(v.value)
    assert.equal(hex(encode(value)), v.hex, v.name)
    assert.deepEqual(decode(unhex(v.hex)), value, v.name)
  }
})

test('index entries match the spec vectors and decode back to the same structure', () => {
  for (const v of loadVectors('entries.json')) {
    const entry = fromVectorJson(v.value)
    assert.equal(hex(encodeEntry(entry as never)), v.hex, v.name)
    assert.deepEqual(decodeEntry(unhex(v.hex)), entry, v.name)
  }
})

test('decoding rejects every non-canonical form', () => {
  const cases: [string, string][] = [
    ['negative zero', '038000000000000000'],
    ['NaN', '037ff8000000000000'],
    ['infinity', '037ff0000000000000'],
    ['non-minimal varint', '048000'],
    ['unsorted map keys', '070201620200016101'],
    ['duplicate map keys', '070201610201610201'],
    ['trailing bytes', '0000'],
    ['truncated string', '0405616263'],
    ['truncated number', '033ff0'],
    ['unknown tag', '09'],
    ['invalid UTF-8', '0401ff'],
    ['empty input', ''],
    ['array count past the end', '06ffffff0f'],
  ]
  for (const [name, h] of cases) {
    assert.throws(() => decode(unhex(h)), (err: unknown) => err instanceof DecodeError && err.code === 'DECODE_INVALID', name)
  }
})

test('encoding refuses values that have no canonical form', () => {
  for (const bad of [NaN, Infinity, undefined, () => 1, new Date(0), '\ud800', { k: 1n }]) {
    assert.throws(() => encode(bad), EncodeError)
  }
  let deep: unknown = 1
  for (let i = 0; i < 100; i++) deep = [deep]
  assert.throws(() => encode(deep), /nested deeper/)
})

test('-0 encodes as 0 and undefined properties are left out', () => {
  assert.equal(hex(encode(-0)), hex(encode(0)))
  assert.equal(hex(encode({ a: 1, b: undefined })), hex(encode({ a: 1 })))
})

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'grapheme' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme' }), tie('value'), { maxKeys: 4 }),
  ),
})).value

test('map keys go in UTF-8 byte order, beyond the BMP too, and strings of every length keep their bytes', () => {
  const keysOf = (bytes: Uint8Array) => Object.keys(decode(bytes) as object)
  // UTF-16 puts U+1F600 (a surrogate pair) before U+E000; UTF-8, and so the encoding, after it.
  assert.deepEqual(keysOf(encode({ '\u{1F600}': 1, '\uE000': 2, z: 3, a: 4 })), ['a', 'z', '\uE000', '\u{1F600}'])
  assert.deepEqual(keysOf(encode({ '\uFFFF': 1, '\uE000': 2, é: 3, ab: 4, a: 5 })), ['a', 'ab', 'é', '\uE000', '\uFFFF'])
  // Around the sizes where a string's length takes another varint byte, or is written through a copy.
  for (const n of [0, 1, 42, 43, 127, 128, 4095, 4096, 4097, 20_000]) {
    for (const unit of ['a', 'é', '\uE000', '\u{1F600}']) {
      const text = unit.repeat(Math.ceil(n / unit.length)).slice(0, n - (n % unit.length))
      const bytes = encode(text)
      const utf8 = Buffer.from(text, 'utf8')
      assert.deepEqual(Buffer.from(bytes.subarray(bytes.length - utf8.length)), utf8, `${n} × ${JSON.stringify(unit)}`)
      assert.equal(decode(bytes), text)
    }
  }
})

test('property: decode(encode(v)) equals v (with -0 as 0) and the bytes ignore key insertion order', () => {
  fc.assert(
    fc.property(jsonValue, (v) => {
      const bytes = encode(v)
      assert.deepEqual(decode(bytes), JSON.parse(JSON.stringify(v, (_k, x) => (Object.is(x, -0) ? 0 : x))))
      const reordered = JSON.parse(JSON.stringify(v), (_k, x) =>
        x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
      )
      assert.equal(hex(encode(reordered)), hex(bytes))
    }),
    { numRuns: 300 },
  )
})

test('property: any byte string either decodes to a value that re-encodes identically, or throws DecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      let value
      try {
        value = decode(bytes)
      } catch (err) {
        assert.ok(err instanceof DecodeError)
        return
      }
      assert.equal(hex(encode(value)), hex(bytes))
    }),
    { numRuns: 2000 },
  )
})

test('entries with schema errors are rejected with the field named', () => {
  const pk = 'a'.repeat(64)
  const stateRoot = new Uint8Array(32)
  const ack = { origin: pk, seq: 0, oplogLength: 1, oplogHash: new Uint8Array(32), ts: 1, metadata: null, success: true, error: null }
  const bad: [unknown, RegExp][] = [
    [{ type: 'nope' }, /unknown entry type/],
    [{ type: 'input', pubkey: 'AB' }, /pubkey must be 64 lowercase hex/],
    [{ type: 'genesis', extra: 1 }, /unexpected field/],
    [{ type: 'op', ack: { ...ack, seq: -1 }, changes: [], stateRoot }, /ack.seq/],
    [{ type: 'op', ack: { ...ack, success: false }, changes: [], stateRoot }, /ack.error must be set exactly/],
    [{ type: 'op', ack: { ...ack, oplogHash: new Uint8Array(3) }, changes: [], stateRoot }, /oplogHash/],
    [{ type: 'op', ack: { ...ack, seq: 4, oplogLength: 4 }, changes: [], stateRoot }, /oplogLength must exceed/],
    [{ type: 'op', ack, changes: [{ type: 'mv', key: 'a' }], stateRoot }, /changes\[0\].type/],
    [{ type: 'op', ack, changes: [{ type: 'put', key: 'a', value: new Uint8Array(1) }], stateRoot }, /must be JSON/],
    [{ type: 'op', ack, changes: [], stateRoot: new Uint8Array(31) }, /stateRoot must be 32 bytes/],
    [{ type: 'op', ack, changes: [] }, /lacks field "stateRoot"/],
    [[1, 2], /entry must be a map/],
  ]
  for (const [value, re] of bad) {
    assert.throws(() => decodeEntry(encode(value)), (err: unknown) => err instanceof DecodeError && re.test(err.message), String(re))
  }
  assert.throws(() => decodeOp(encode({ op: new Uint8Array(1) })), /bytes/)
})
