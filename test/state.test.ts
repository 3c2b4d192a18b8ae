import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareKeys } from '../src/state/key-order.js'
import { MemoryState, type Undo } from '../src/state/memory-state.js'
import type { Change } from '../src/vm/types.js'

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

test('keys order by code point, which is UTF-8 byte order', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(Math.sign(compareKeys(a, b)), Math.sign(utf8Order(a, b)))
    }),
    { numRuns: 2000 },
  )
  // UTF-16 order would put U+FF5E before U+1F600; code point order puts it first too, but
  // U+E000 vs a surrogate pair is where the two differ.
  assert.ok(compareKeys('\ue000', '\u{1F600}') < 0)
  assert.ok('\ue000' > '\u{1F600}')
})

const op = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: fc.string({ maxLength: 4 }), value: fc.integer() }),
  fc.record({ type: fc.constant('del' as const), key: fc.string({ maxLength: 4 }) }),
)

test('property: list() agrees with a plain sorted model for any prefix, bounds, limit and direction', () => {
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 60 }),
      fc.string({ maxLength: 2 }),
      fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
      fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
      fc.option(fc.nat(10), { nil: undefined }),
      fc.boolean(),
      (changes, prefix, gt, lt, limit, reverse) => {
        const s = new MemoryState()
        const model = new Map<string, number>()
        s.apply(changes as Change[])
        for (const c of changes) c.type === 'put' ? model.set(c.key, c.value) : model.delete(c.key)
        let expected = [...model.entries()]
          .filter(([k]) => k.startsWith(prefix) && (gt === undefined || utf8Order(k, gt) > 0) && (lt === undefined || utf8Order(k, lt) < 0))
          .sort(([a], [b]) => utf8Order(a, b))
        if (reverse) expected.reverse()
        if (limit !== undefined) expected = expected.slice(0, limit)
        const got = s.list(prefix, { gt, lt, limit, reverse }).map((e) => [e.key, e.value])
        assert.deepEqual(got, expected)
      },
    ),
    { numRuns: 500 },
  )
})

test('property: revert() restores the exact state before a batch of changes', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), fc.array(op, { maxLength: 30 }), (before, batch) => {
      const s = new MemoryState()
      s.apply(before as Change[])
      const snapshot = s.list('')
      const undo: Undo[] = []
      s.apply(batch as Change[], undo)
      s.revert(undo)
      assert.deepEqual(s.list(''), snapshot)
    }),
    { numRuns: 300 },
  )
})
