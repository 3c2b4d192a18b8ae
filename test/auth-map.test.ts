import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { encode } from '../src/codec/canonical.js'
import { hash } from '../src/codec/hash.js'
import { EncodeError } from '../src/errors.js'
import {
  AuthMap,
  EMPTY_ROOT,
  proveKey,
  proveRange,
  proveWitness,
  verifyKeyProof,
  verifyRange,
  verifyWitness,
  type KeyProof,
  type RangeQuery,
  type StateProof,
  type Witness,
} from '../src/state/auth/index.js'
import { hashFromHex } from '../src/state/auth/bits.js'
import { compareKeys } from '../src/state/key-order.js'
import { MemoryState, type Undo } from '../src/state/memory-state.js'
import type { Change, Json, StateEntry } from '../src/vm/types.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// The root straight from the definitions of docs/protocol.md §7, sharing no code with the map.
function keyBits(key: string): number[] {
  const bits: number[] = []
  for (const byte of Buffer.from(key, 'utf8')) {
    bits.push(1)
    for (let j = 7; j >= 0; j--) bits.push((byte >> j) & 1)
  }
  bits.push(0)
  return bits
}
function varint(n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n % 128) | 128)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}
function referenceRoot(entries: Map<string, Json>): string {
  if (entries.size === 0) return hex(hash(Uint8Array.of(0x12)))
  const items = [...entries].map(([key, value]) => ({ key, value, bits: keyBits(key) }))
  const node = (set: typeof items): Uint8Array => {
    if (set.length === 1) {
      const k = Buffer.from(set[0].key, 'utf8')
      return hash(Buffer.concat([Buffer.from([0x10, ...varint(k.length)]), k, hash(encode(set[0].value))]))
    }
    // The crit bit: the first position where the keys do not all agree.
    let crit = 0
    while (set.every((x) => x.bits[crit] === set[0].bits[crit])) crit++
    const left = set.filter((x) => x.bits[crit] === 0)
    const right = set.filter((x) => x.bits[crit] === 1)
    return hash(Buffer.concat([Buffer.from([0x11, ...varint(crit)]), node(left), node(right)]))
  }
  return hex(node(items))
}

// Few characters, so keys share prefixes; U+0000 and prefixes of other keys test the terminator bit.
const keyChar = fc.constantFrom('a', 'b', '/', '\u0000', '\u007f', 'é', '\u0800', '\uffff', '😀')
const key = fc.string({ unit: keyChar, maxLength: 5 })
const value: fc.Arbitrary<Json> = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null), fc.integer().map((n) => ({ n })))
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key, value }),
  fc.record({ type: fc.constant('del' as const), key }),
)

test('the empty root is BLAKE2b-256(0x12)', () => {
  assert.equal(hex(new AuthMap().root()), hex(hash(Uint8Array.of(0x12))))
  assert.equal(hex(EMPTY_ROOT), 'b4dd4eedb83933b6e013971585befe56e26e4f0a875aea0938f406563e53eadb')
})

test('property: the map agrees with a plain model and its root with the reference, after every change', () => {
  fc.assert(
    fc.property(fc.array(change, { maxLength: 40 }), (changes) => {
      const map = new AuthMap()
      const model = new Map<string, Json>()
      for (const c of changes) {
        if (c.type === 'put') {
          map.put(c.key, c.value)
          model.set(c.key, c.value)
        } else {
          assert.equal(map.delete(c.key), model.delete(c.key))
        }
        assert.equal(hex(map.root()), referenceRoot(model))
      }
      assert.equal(map.size, model.size)
      for (const k of model.keys()) assert.deepEqual(map.get(k), model.get(k))
      assert.deepEqual(
        [...map.entries()].map((e) => e.key),
        [...model.keys()].sort(compareKeys),
      )
    }),
    { numRuns: 300 },
  )
})

test('property: the root depends only on the set of entries, not on the order they were put in', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.record({ key: fc.string({ unit: keyChar, maxLength: 8 }), value }), { selector: (e) => e.key, maxLength: 60 }),
      fc.infiniteStream(fc.nat()),
      (entries, noise) => {
        const a = new AuthMap()
        for (const e of entries) a.put(e.key, e.value)
        const shuffled = entries.map((e) => ({ e, r: noise.next().value })).sort((x, y) => x.r - y.r).map((x) => x.e)
        const b = new AuthMap()
        // Also through history: junk keys put and deleted again, and values overwritten.
        for (const e of shuffled) {
          b.put(e.key + '~junk', 1)
          b.put(e.key, 'old')
        }
        for (const e of shuffled) {
          b.put(e.key, e.value)
          b.delete(e.key + '~junk')
        }
        const sorted = [...entries].sort((x, y) => compareKeys(x.key, y.key))
        assert.equal(hex(a.root()), hex(b.root()))
        assert.equal(hex(a.root()), hex(AuthMap.fromSorted(sorted).root()))
        assert.equal(hex(a.root()), referenceRoot(new Map(entries.map((e) => [e.key, e.value]))))
      },
    ),
    { numRuns: 300 },
  )
})

test('property: list() agrees with MemoryState for any prefix, bounds, limit and direction', () => {
  fc.assert(
    fc.property(
      fc.array(change, { maxLength: 60 }),
      fc.string({ unit: keyChar, maxLength: 2 }),
      fc.option(key, { nil: undefined }),
      fc.option(key, { nil: undefined }),
      fc.option(fc.integer({ min: -1, max: 8 }), { nil: undefined }),
      fc.boolean(),
      (changes, prefix, gt, lt, limit, reverse) => {
        const map = new AuthMap()
        const oracle = new MemoryState()
        map.apply(changes)
        oracle.apply(changes)
        const opts = { gt, lt, limit, reverse }
        assert.deepEqual(map.list(prefix, opts), oracle.list(prefix, opts))
      },
    ),
    { numRuns: 1000 },
  )
})

test('property: revert() restores the root before a batch; update() returns the new root', () => {
  fc.assert(
    fc.property(fc.array(change, { maxLength: 30 }), fc.array(change, { maxLength: 30 }), (before, batch) => {
      const map = new AuthMap()
      map.apply(before)
      const root = hex(map.root())
      const undo: Undo[] = []
      map.apply(batch, undo)
      const after = hex(map.root())
      map.revert(undo)
      assert.equal(hex(map.root()), root)
      assert.equal(hex(map.update(batch)), after)
    }),
    { numRuns: 300 },
  )
})

test('fromSorted() refuses keys out of order', () => {
  assert.throws(() => AuthMap.fromSorted([{ key: 'b', value: 1 }, { key: 'a', value: 1 }]), RangeError)
  assert.throws(() => AuthMap.fromSorted([{ key: 'a', value: 1 }, { key: 'a', value: 1 }]), RangeError)
})

test('keys must be well-formed strings; values must encode; a refused put changes nothing', () => {
  const map = new AuthMap()
  map.put('a', 1)
  const root = hex(map.root())
  assert.throws(() => map.put('\ud800', 1), EncodeError)
  assert.throws(() => map.put('b', Number.NaN as Json), EncodeError)
  assert.throws(() => map.put('a', Number.NaN as Json), EncodeError)
  assert.equal(map.size, 1)
  assert.equal(map.get('a'), 1)
  assert.equal(hex(map.root()), root)
  // A lone surrogate would encode as U+FFFD: it must not find that key.
  map.put('\ufffd', 2)
  assert.equal(map.get('\ud800'), undefined)
  assert.equal(map.delete('\ud800'), false)
})

test('property: hashes parse from exactly 64 lowercase hex characters', () => {
  const valid = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex)
  const oneCharOff = fc
    .tuple(valid, fc.nat(63), fc.constantFrom(...'0aAfFgG\u0230\u0130/:'))
    .map(([h, i, c]) => h.slice(0, i) + c + h.slice(i + 1))
  fc.assert(
    fc.property(fc.oneof(valid, oneCharOff, valid.map((h) => h + '0'), valid.map((h) => h.slice(1)), fc.string()), (s) => {
      const h = hashFromHex(s)
      assert.equal(h !== null, /^[0-9a-f]{64}$/.test(s), s)
      if (h) assert.equal(hex(h), s)
    }),
    { numRuns: 1000 },
  )
})

test('many keys: incremental roots equal a rebuild, deletes down to empty give the empty root', () => {
  const map = new AuthMap()
  const keys: string[] = []
  for (let i = 0; i < 5000; i++) keys.push(i % 2 ? `/values/k${i}` : `/random/${((i * 2654435761) >>> 0).toString(36)}`)
  for (const k of keys) map.put(k, { k })
  const sorted = [...map.entries()]
  assert.equal(hex(map.root()), hex(AuthMap.fromSorted(sorted).root()))
  for (let i = 0; i < keys.length; i += 2) map.delete(keys[i])
  assert.equal(hex(map.root()), hex(AuthMap.fromSorted([...map.entries()]).root()))
  for (const k of keys) map.delete(k)
  assert.equal(map.size, 0)
  assert.equal(hex(map.root()), hex(EMPTY_ROOT))
})

interface AuthMapVectors {
  hashes: { name: string; value?: Json; preimage: string; hash: string }[]
  sets: { name: string; entries: StateEntry[]; root: string }[]
  proofs: { name: string; set: string; proof: StateProof }[]
  witnesses: { name: string; set: string; reads: string[]; lists: RangeQuery[]; changes: Change[]; witness: Witness; postRoot: string }[]
}

test('state commitment vectors: hashes, roots and proofs match byte for byte', () => {
  const v = JSON.parse(readFileSync(path.join(process.cwd(), 'test', 'vectors', 'auth-map.json'), 'utf8')) as AuthMapVectors
  for (const h of v.hashes) {
    assert.equal(hex(hash(Buffer.from(h.preimage, 'hex'))), h.hash, h.name)
    if (h.value !== undefined) assert.equal(hex(encode(h.value)), h.preimage, h.name)
  }
  assert.equal(v.hashes[0].hash, hex(EMPTY_ROOT))
  assert.ok(v.sets.length >= 5)
  const maps = new Map<string, AuthMap>()
  for (const s of v.sets) {
    const forward = new AuthMap()
    for (const e of s.entries) forward.put(e.key, e.value)
    const backward = new AuthMap()
    for (const e of [...s.entries].reverse()) backward.put(e.key, e.value)
    assert.equal(hex(forward.root()), s.root, s.name)
    assert.equal(hex(backward.root()), s.root, s.name)
    assert.equal(referenceRoot(new Map(s.entries.map((e) => [e.key, e.value]))), s.root, s.name)
    maps.set(s.name, forward)
  }
  const kinds = new Set<string>()
  for (const p of v.proofs) {
    const map = maps.get(p.set) as AuthMap
    const set = v.sets.find((s) => s.name === p.set) as AuthMapVectors['sets'][number]
    kinds.add(p.proof.type)
    if (p.proof.type === 'range') {
      const { version: _v, type: _t, nodes: _n, ...query } = p.proof
      assert.equal(JSON.stringify(proveRange(map, query)), JSON.stringify(p.proof), p.name)
      const r = verifyRange(p.proof, set.root, map.list(query.prefix, query))
      assert.ok(r.valid, p.name)
    } else if (p.proof.type !== 'witness') {
      assert.equal(JSON.stringify(proveKey(map, p.proof.key)), JSON.stringify(p.proof), p.name)
      const r = verifyKeyProof(p.proof as KeyProof, set.root)
      assert.ok(r.valid && JSON.stringify(r.value) === JSON.stringify(map.get(p.proof.key)), p.name)
    }
  }
  assert.deepEqual([...kinds].sort(), ['absence', 'membership', 'range'])
  assert.ok(v.witnesses.length >= 1)
  for (const w of v.witnesses) {
    const map = maps.get(w.set) as AuthMap
    assert.equal(JSON.stringify(proveWitness(map, w, w.changes)), JSON.stringify(w.witness), w.name)
    const r = verifyWitness(w.witness, map.root())
    assert.ok(r.valid, w.name)
    for (const k of w.reads) assert.deepEqual(r.state.get(k), map.get(k))
    for (const q of w.lists) assert.deepEqual(r.state.list(q.prefix, q), map.list(q.prefix, q))
    assert.equal(hex(r.state.apply(w.changes).rootHash()), w.postRoot, w.name)
    assert.equal(hex(map.update(w.changes)), w.postRoot, w.name)
  }
})

test('memoryBytes counts the typed arrays and the keys, and grows and shrinks with them', () => {
  const map = new AuthMap()
  const typed = () => [map.crit, map.left, map.right, map.dirty, map.innerHashes, map.leafHashes].reduce((sum, a) => sum + a.byteLength, 0)
  assert.ok(map.memoryBytes() >= typed())
  for (let i = 0; i < 5000; i++) map.put(`/values/k${String(i).padStart(6, '0')}`, i)
  const full = map.memoryBytes()
  // 5,000 keys of 15 characters: at least a string header and the characters each, and the hashes.
  assert.ok(full >= typed() + 5000 * (16 + 15), `${full}`)
  assert.ok(full < 5000 * 400, `about 100-200 bytes a key, not more (${full / 5000})`)
  for (let i = 0; i < 5000; i += 2) map.delete(`/values/k${String(i).padStart(6, '0')}`)
  assert.ok(map.memoryBytes() < full, 'deleted keys no longer count')
})

test('has() answers from the keys the map holds: it reads no value from the store, not even a lying one', () => {
  const encoded = new Map<string, Uint8Array>([
    ['/a', encode(1)],
    ['/b', encode('two')],
  ])
  let reads = 0
  const map = AuthMap.fromStored([...encoded].map(([key, e]) => ({ key, encoded: e })), {
    read(key) {
      reads++
      // A store that lies about every value it is asked for.
      return encoded.has(key) ? encode('not the value') : undefined
    },
  })
  assert.deepEqual([map.has('/a'), map.has('/b'), map.has('/c'), map.has('\ud800')], [true, true, false, false])
  assert.equal(reads, 0)
  map.delete('/a')
  map.put('/c', 3)
  assert.deepEqual([map.has('/a'), map.has('/c')], [false, true])
  assert.equal(reads, 0)
  // A read of the value still checks it, and the lie shows there.
  assert.throws(() => map.get('/b'), { code: 'STORE_INTEGRITY' })
})
