import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  AuthMap,
  proveWitness,
  recordAccess,
  verifyWitness,
  WitnessGapError,
  type ProofNode,
  type RangeQuery,
  type Witness,
} from '../src/state/auth/index.js'
import { DELETED, listKeys, readKey, type Overlay } from '../src/vm/overlay.js'
import type { Change, Json, ListOptions, StateEntry, StateReader } from '../src/vm/types.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const roundTrip = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

const keyChar = fc.constantFrom('a', 'b', '/', '\u0000', 'é', '😀')
const key = fc.string({ unit: keyChar, maxLength: 5 })
const value: fc.Arbitrary<Json> = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }))
const entries = fc.uniqueArray(fc.record({ key, value }), { selector: (e) => e.key, maxLength: 40 })
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key, value }),
  fc.record({ type: fc.constant('del' as const), key }),
)
const listOpts: fc.Arbitrary<ListOptions> = fc
  .record({
    gt: fc.option(key, { nil: undefined }),
    lt: fc.option(key, { nil: undefined }),
    limit: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    reverse: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ListOptions)
const query: fc.Arbitrary<RangeQuery> = fc.tuple(fc.string({ unit: keyChar, maxLength: 2 }), listOpts).map(([prefix, o]) => ({ prefix, ...o }))

function mapOf(list: { key: string; value: Json }[]): AuthMap {
  const map = new AuthMap()
  for (const e of list) map.put(e.key, e.value)
  return map
}

test('property: a witness serves the reads it covers and gives the post-state root of the changes', () => {
  fc.assert(
    fc.property(entries, fc.array(key, { maxLength: 4 }), fc.array(query, { maxLength: 2 }), fc.array(change, { maxLength: 8 }), (list, reads, lists, changes) => {
      const map = mapOf(list)
      const pre = map.root()
      const witness = roundTrip(proveWitness(map, { reads, lists }, changes))
      const r = verifyWitness(witness, pre)
      assert.ok(r.valid, !r.valid ? r.reason : '')
      for (const k of reads) assert.deepEqual(r.state.get(k), map.get(k))
      for (const q of lists) assert.deepEqual(r.state.list(q.prefix, q), map.list(q.prefix, q))
      const post = r.state.apply(changes).rootHash()
      assert.equal(hex(post), hex(map.update(changes)))
      // The pre-state view is untouched by apply().
      assert.equal(hex(r.state.rootHash()), hex(pre))
    }),
    { numRuns: 1000 },
  )
})

/** An op in a tiny language: reads through the overlay like the sandbox's tx, writes what it read. */
type Step = { get: string } | { list: string; opts: ListOptions } | { put: string; from: number } | { del: string }
const step: fc.Arbitrary<Step> = fc.oneof(
  key.map((k) => ({ get: k })),
  fc.tuple(fc.string({ unit: keyChar, maxLength: 2 }), listOpts).map(([p, opts]) => ({ list: p, opts })),
  fc.tuple(key, fc.nat()).map(([k, from]) => ({ put: k, from })),
  key.map((k) => ({ del: k })),
)

function runOp(state: StateReader, steps: Step[]): { seen: unknown[]; changes: Change[] } {
  const overlay: Overlay = new Map()
  const seen: unknown[] = []
  const changes: Change[] = []
  for (const s of steps) {
    if ('get' in s) seen.push(readKey(state, overlay, s.get) ?? null)
    else if ('list' in s) seen.push(listKeys(state, overlay, s.list, s.opts))
    else if ('put' in s) {
      // The value depends on what was read, so a wrong read shows up in the root.
      const v: Json = JSON.stringify(seen[s.from % Math.max(1, seen.length)] ?? null)
      overlay.set(s.put, v)
      changes.push({ type: 'put', key: s.put, value: v })
    } else {
      overlay.set(s.del, DELETED)
      changes.push({ type: 'del', key: s.del })
    }
  }
  return { seen, changes }
}

test('property: stateless re-execution: an op replayed on its witness reads the same and reaches the same root', () => {
  fc.assert(
    fc.property(entries, fc.array(step, { maxLength: 10 }), (list, steps) => {
      const map = mapOf(list)
      const pre = map.root()
      const { reader, access } = recordAccess(map)
      const executed = runOp(reader, steps)
      const witness = roundTrip(proveWitness(map, access, executed.changes))
      const claimed = map.update(executed.changes)

      const r = verifyWitness(witness, hex(pre))
      assert.ok(r.valid, !r.valid ? r.reason : '')
      const replayed = runOp(r.state, steps)
      assert.deepEqual(replayed.seen, executed.seen)
      assert.deepEqual(replayed.changes, executed.changes)
      assert.equal(hex(r.state.apply(replayed.changes).rootHash()), hex(claimed))
    }),
    { numRuns: 1000 },
  )
})

test('property: a witness never answers wrong: outside what it covers it throws WitnessGapError', () => {
  fc.assert(
    fc.property(entries, fc.array(key, { maxLength: 2 }), fc.array(change, { maxLength: 3 }), key, query, fc.array(change, { maxLength: 3 }), (list, reads, changes, other, q, otherChanges) => {
      const map = mapOf(list)
      const witness = proveWitness(map, { reads, lists: [] }, changes)
      const r = verifyWitness(witness, map.root())
      assert.ok(r.valid)
      const orGap = <T>(f: () => T): T | 'gap' => {
        try {
          return f()
        } catch (err) {
          assert.ok(err instanceof WitnessGapError, String(err))
          return 'gap'
        }
      }
      const got = orGap(() => r.state.get(other))
      if (got !== 'gap') assert.deepEqual(got, map.get(other))
      const listed = orGap(() => r.state.list(q.prefix, q))
      if (listed !== 'gap') assert.deepEqual(listed, map.list(q.prefix, q))
      const post = orGap(() => hex(r.state.apply(otherChanges).rootHash()))
      if (post !== 'gap') assert.equal(post, hex(map.update(otherChanges)))
    }),
    { numRuns: 1000 },
  )
})

test('a witness is small: it does not cover keys far from the op', () => {
  const map = new AuthMap()
  for (let i = 0; i < 10000; i++) map.put(`/values/k${i}`, i)
  const changes: Change[] = [
    { type: 'put', key: '/values/k5000', value: 'x' },
    { type: 'put', key: '/values/new', value: 'y' },
    { type: 'del', key: '/values/k77' },
  ]
  const witness = proveWitness(map, { reads: ['/values/k5000', '/values/absent'], lists: [{ prefix: '/values/k12', limit: 3 }] }, changes)
  const r = verifyWitness(witness, map.root())
  assert.ok(r.valid)
  assert.ok(JSON.stringify(witness).length < 20000, `${JSON.stringify(witness).length} bytes`)
  assert.throws(() => r.state.get('/values/k9999'), WitnessGapError)
  assert.deepEqual(r.state.list('/values/k12', { limit: 3 }), map.list('/values/k12', { limit: 3 }))
  assert.equal(hex(r.state.apply(changes).rootHash()), hex(map.update(changes)))
})

test('property: a tampered witness fails against the pre-state root', () => {
  fc.assert(
    fc.property(entries, fc.array(key, { minLength: 1, maxLength: 3 }), fc.nat(), (list, reads, pick) => {
      const map = mapOf(list)
      if (map.size === 0) return
      const witness: Witness = proveWitness(map, { reads, lists: [] }, [])
      const nodes: ProofNode[] = structuredClone(witness.nodes)
      const i = pick % nodes.length
      const n = nodes[i] as Record<string, unknown>
      if ('crit' in n) n.crit = (n.crit as number) + 1
      else if ('hash' in n) n.hash = (n.hash as string).replace(/^./, (c) => (c === '0' ? '1' : '0'))
      else if ('value' in n) n.value = ['tampered']
      else n.key = `${n.key as string}x`
      assert.equal(verifyWitness({ ...witness, nodes }, map.root()).valid, false)
    }),
    { numRuns: 500 },
  )
})

test('an empty map has an empty witness; its post-root is the one-key root', () => {
  const map = new AuthMap()
  const w = proveWitness(map, { reads: ['a'], lists: [{ prefix: '' }] }, [{ type: 'put', key: 'a', value: 1 }])
  assert.deepEqual(w.nodes, [])
  const r = verifyWitness(w, map.root())
  assert.ok(r.valid)
  assert.equal(r.state.get('a'), undefined)
  assert.deepEqual(r.state.list(''), [] as StateEntry[])
  assert.equal(hex(r.state.apply([{ type: 'put', key: 'a', value: 1 }]).rootHash()), hex(map.update([{ type: 'put', key: 'a', value: 1 }])))
})

test('changes to keys that are not well-formed strings do what the map does', () => {
  const map = new AuthMap()
  map.put('\ufffd', 1)
  map.put('a', 2)
  const w = proveWitness(map, { reads: [], lists: [] }, [{ type: 'del', key: '\ufffd' }])
  const r = verifyWitness(w, map.root())
  assert.ok(r.valid)
  assert.equal(r.state.get('\ud800'), undefined)
  const lone: Change[] = [{ type: 'del', key: '\ud800' }]
  assert.equal(hex(r.state.apply(lone).rootHash()), hex(map.update(lone)))
  assert.throws(() => r.state.apply([{ type: 'put', key: '\ud800', value: 1 }]))
  assert.throws(() => map.put('\ud800', 1))
})
