import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  AuthMap,
  PartialTrie,
  proveKey,
  proveRange,
  verifyAbsence,
  verifyKeyProof,
  verifyMembership,
  verifyRange,
  verifyWitness,
  type KeyProof,
  type ProofNode,
  type RangeProof,
  type RangeQuery,
} from '../src/state/auth/index.js'
import { innerHash, leafHash, valueHash } from '../src/state/auth/node-hash.js'
import { MemoryState } from '../src/state/memory-state.js'
import type { Json } from '../src/vm/types.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const roundTrip = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

const keyChar = fc.constantFrom('a', 'b', '/', '\u0000', 'é', '\uffff', '😀')
const key = fc.string({ unit: keyChar, maxLength: 5 })
const value: fc.Arbitrary<Json> = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.integer().map((n) => ({ n })))
const entries = fc.uniqueArray(fc.record({ key, value }), { selector: (e) => e.key, maxLength: 40 })
const query: fc.Arbitrary<RangeQuery> = fc
  .record({
    prefix: fc.string({ unit: keyChar, maxLength: 2 }),
    gt: fc.option(key, { nil: undefined }),
    lt: fc.option(key, { nil: undefined }),
    limit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    reverse: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map((q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as unknown as RangeQuery)

function build(list: { key: string; value: Json }[]): { map: AuthMap; oracle: MemoryState } {
  const map = new AuthMap()
  const oracle = new MemoryState()
  for (const e of list) map.put(e.key, e.value)
  oracle.apply(list.map((e) => ({ type: 'put' as const, ...e })))
  return { map, oracle }
}

const listOf = (oracle: MemoryState, q: RangeQuery) => oracle.list(q.prefix, { gt: q.gt, lt: q.lt, limit: q.limit, reverse: q.reverse })

/** The index just past the subtree that starts at nodes[i]. */
function subtreeEnd(nodes: ProofNode[], i: number): number {
  let open = 1
  while (open > 0) {
    open += 'crit' in nodes[i] ? 1 : -1
    i++
  }
  return i
}

/** Ways to corrupt a proof that must each make it fail. */
type Tamper = (nodes: ProofNode[], pick: number) => ProofNode[] | null

const flipHashDigit: Tamper = (nodes, pick) => {
  const at = nodes.map((n, i) => ('hash' in n || 'valueHash' in n ? i : -1)).filter((i) => i >= 0)
  if (at.length === 0) return null
  const i = at[pick % at.length]
  const out = structuredClone(nodes)
  const n = out[i] as { hash?: string; valueHash?: string }
  const field = n.hash !== undefined ? 'hash' : 'valueHash'
  const s = n[field] as string
  const d = pick % 64
  n[field] = s.slice(0, d) + (s[d] === '0' ? '1' : '0') + s.slice(d + 1)
  return out
}

const changeValue: Tamper = (nodes, pick) => {
  const at = nodes.map((n, i) => ('value' in n ? i : -1)).filter((i) => i >= 0)
  if (at.length === 0) return null
  const out = structuredClone(nodes)
  const n = out[at[pick % at.length]] as { value: Json }
  n.value = { tampered: n.value }
  return out
}

const swapSiblings: Tamper = (nodes, pick) => {
  const at = nodes.map((n, i) => ('crit' in n ? i : -1)).filter((i) => i >= 0)
  if (at.length === 0) return null
  const i = at[pick % at.length]
  const mid = subtreeEnd(nodes, i + 1)
  const end = subtreeEnd(nodes, mid)
  return [...nodes.slice(0, i + 1), ...nodes.slice(mid, end), ...nodes.slice(i + 1, mid), ...nodes.slice(end)]
}

/** Replaces a subtree holding a leaf with a value by its hash: the proof still hashes right. */
const pruneAValue: Tamper = (nodes, pick) => {
  const at = nodes.map((n, i) => ('value' in n ? i : -1)).filter((i) => i >= 0)
  if (at.length === 0) return null
  const leaf = at[pick % at.length]
  // Start at the leaf or at an inner node above it (an earlier crit whose subtree covers it).
  const starts = nodes.map((n, i) => i).filter((i) => i === leaf || ('crit' in nodes[i] && i < leaf && subtreeEnd(nodes, i) > leaf))
  const s = starts[pick % starts.length]
  const e = subtreeEnd(nodes, s)
  const h = PartialTrie.fromNodes(nodes.slice(s, e)).rootHash()
  return [...nodes.slice(0, s), { hash: hex(h) }, ...nodes.slice(e)]
}

const hideAValue: Tamper = (nodes, pick) => {
  const at = nodes.map((n, i) => ('value' in n ? i : -1)).filter((i) => i >= 0)
  if (at.length === 0) return null
  const out = structuredClone(nodes)
  const n = out[at[pick % at.length]] as { key: string; value: Json }
  const vh = PartialTrie.fromNodes([n]).root?.valueHash as Uint8Array
  out[at[pick % at.length]] = { key: n.key, valueHash: hex(vh) }
  return out
}

const truncate: Tamper = (nodes, pick) => (nodes.length === 0 ? null : nodes.filter((_, i) => i !== pick % nodes.length))
const appendNode: Tamper = (nodes) => (nodes.length === 0 ? null : [...nodes, { hash: '00'.repeat(32) }])

const TAMPERS: [string, Tamper][] = [
  ['flip a hash digit', flipHashDigit],
  ['change a value', changeValue],
  ['swap siblings', swapSiblings],
  ['drop a node', truncate],
  ['append a node', appendNode],
]

test('property: key proofs verify for present and absent keys and give the true value', () => {
  fc.assert(
    fc.property(entries, key, (list, k) => {
      const { map, oracle } = build(list)
      const root = map.root()
      const proof = roundTrip(proveKey(map, k))
      const want = oracle.get(k)
      assert.equal(proof.type, want === undefined ? 'absence' : 'membership')
      const r = verifyKeyProof(proof, hex(root))
      assert.ok(r.valid, !r.valid ? r.reason : '')
      assert.deepEqual(r.value, want)
      if (want !== undefined) {
        assert.ok(verifyMembership(proof, root, want).valid)
        assert.ok(!verifyMembership(proof, root, { other: 1 }).valid)
        assert.ok(!verifyAbsence(proof, root).valid)
      } else {
        assert.ok(verifyAbsence(proof, root).valid)
        assert.ok(!verifyMembership(proof, root).valid)
      }
    }),
    { numRuns: 500 },
  )
})

test('property: range proofs verify and give exactly what list() gives', () => {
  fc.assert(
    fc.property(entries, query, (list, q) => {
      const { map, oracle } = build(list)
      const proof = roundTrip(proveRange(map, q))
      const want = listOf(oracle, q)
      const r = verifyRange(proof, map.root(), want)
      assert.ok(r.valid, !r.valid ? r.reason : '')
      assert.deepEqual(r.entries, want)
    }),
    { numRuns: 1000 },
  )
})

test('property: tampered key proofs fail', () => {
  fc.assert(
    fc.property(entries, key, fc.nat(), fc.nat(TAMPERS.length - 1), (list, k, pick, t) => {
      const { map } = build(list)
      if (map.size === 0) return
      const proof = proveKey(map, k)
      const nodes = TAMPERS[t][1](proof.nodes, pick)
      if (!nodes) return
      assert.equal(verifyKeyProof({ ...proof, nodes }, map.root()).valid, false, TAMPERS[t][0])
    }),
    { numRuns: 1000 },
  )
})

test('property: a membership proof whose leaf is pruned or hidden fails; so does one for another root', () => {
  fc.assert(
    fc.property(entries, fc.nat(), fc.nat(), (list, which, pick) => {
      const { map } = build(list)
      if (map.size === 0) return
      const k = list[which % list.length].key
      const proof = proveKey(map, k)
      const pruned = pruneAValue(proof.nodes, pick) as ProofNode[]
      assert.equal(verifyKeyProof({ ...proof, nodes: pruned }, map.root()).valid, false)
      const hidden = hideAValue(proof.nodes, pick) as ProofNode[]
      assert.equal(verifyKeyProof({ ...proof, nodes: hidden }, map.root()).valid, false)
      assert.equal(verifyKeyProof({ ...proof, type: 'absence' }, map.root()).valid, false)
      const other = new AuthMap()
      other.apply(list.map((e) => ({ type: 'put', ...e })))
      other.put(k, { changed: true })
      assert.equal(verifyKeyProof(proof, other.root()).valid, false)
    }),
    { numRuns: 500 },
  )
})

test('property: tampered range proofs fail: corrupted, an entry dropped or hidden, another root', () => {
  fc.assert(
    fc.property(entries, query, fc.nat(), fc.nat(TAMPERS.length + 1), (list, q, pick, t) => {
      const { map, oracle } = build(list)
      const proof = proveRange(map, q)
      const tamper = t < TAMPERS.length ? TAMPERS[t][1] : t === TAMPERS.length ? pruneAValue : hideAValue
      const nodes = tamper(proof.nodes, pick)
      if (!nodes) return
      assert.equal(verifyRange({ ...proof, nodes }, map.root()).valid, false, t < TAMPERS.length ? TAMPERS[t][0] : 'drop an entry')
      if (listOf(oracle, q).length > 0) {
        const other = new AuthMap()
        other.apply(list.map((e) => ({ type: 'put', ...e })))
        other.put(listOf(oracle, q)[0].key, 'changed')
        assert.equal(verifyRange(proof, other.root()).valid, false)
      }
    }),
    { numRuns: 1500 },
  )
})

test('property: soundness: whatever is edited in a proof, a proof that still verifies tells the truth', () => {
  const edit = fc.oneof(
    fc.record({ field: fc.constant('key' as const), to: key }),
    fc.record({ field: fc.constant('type' as const), to: fc.constantFrom('membership', 'absence') }),
    fc.record({ field: fc.constant('prefix' as const), to: fc.string({ unit: keyChar, maxLength: 2 }) }),
    fc.record({ field: fc.constantFrom('gt' as const, 'lt' as const), to: fc.option(key, { nil: undefined }) }),
    fc.record({ field: fc.constant('limit' as const), to: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }) }),
    fc.record({ field: fc.constant('reverse' as const), to: fc.option(fc.boolean(), { nil: undefined }) }),
  )
  fc.assert(
    fc.property(entries, key, query, fc.array(edit, { maxLength: 3 }), (list, k, q, edits) => {
      const { map, oracle } = build(list)
      const root = map.root()
      const kp = proveKey(map, k) as unknown as Record<string, unknown>
      const rp = proveRange(map, q) as unknown as Record<string, unknown>
      for (const e of edits) {
        if (e.field === 'key' || e.field === 'type') kp[e.field] = e.to
        else if (e.to === undefined) delete rp[e.field]
        else rp[e.field] = e.to
      }
      const kr = verifyKeyProof(kp as unknown as KeyProof, root)
      if (kr.valid) {
        assert.deepEqual(kr.value, oracle.get(kr.key))
        assert.equal(kp.type, kr.value === undefined ? 'absence' : 'membership')
      }
      const rr = verifyRange(rp as unknown as RangeProof, root)
      if (rr.valid) assert.deepEqual(rr.entries, listOf(oracle, rp as unknown as RangeQuery))
    }),
    { numRuns: 1500 },
  )
})

test('property: hostile input never throws', () => {
  const { map } = build([
    { key: 'a', value: 1 },
    { key: 'b', value: 2 },
  ])
  const root = map.root()
  const nodeLike = fc.oneof(
    fc.record({ crit: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
    fc.record({ hash: fc.oneof(fc.string(), fc.constant('ab'.repeat(32))) }),
    fc.record({ key: fc.oneof(fc.string({ unit: 'binary' }), fc.integer()), value: fc.anything() }),
    fc.record({ key: fc.string(), valueHash: fc.string() }),
    fc.anything(),
  )
  const proofLike = fc.record({
    version: fc.oneof(fc.constant(1), fc.anything()),
    type: fc.constantFrom('membership', 'absence', 'range', 'witness', 'x'),
    key: fc.oneof(fc.string({ unit: 'binary' }), fc.anything()),
    prefix: fc.oneof(fc.string(), fc.anything()),
    limit: fc.oneof(fc.integer(), fc.anything()),
    nodes: fc.oneof(fc.array(nodeLike, { maxLength: 8 }), fc.anything()),
  })
  fc.assert(
    fc.property(fc.oneof(proofLike, fc.anything()), fc.oneof(fc.constant(root), fc.constant(hex(root)), fc.anything()), (p, r) => {
      for (const verify of [verifyKeyProof, verifyMembership, verifyAbsence, verifyRange, verifyWitness] as ((p: unknown, r: unknown) => { valid: boolean })[]) {
        const out = verify(p, r)
        assert.equal(typeof out.valid, 'boolean')
      }
    }),
    { numRuns: 1000 },
  )
  // Deep nesting and huge crit chains are refused or accepted without blowing the stack.
  const deep = Array.from({ length: 20000 }, (_, i) => ({ crit: i }))
  assert.equal(verifyKeyProof({ version: 1, type: 'absence', key: 'a', nodes: deep }, root).valid, false)
})

test('proof size grows like log n', () => {
  const sizes: number[] = []
  for (const n of [256, 4096, 32768]) {
    const map = new AuthMap()
    let seed = 7
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0
      map.put(`/values/${seed.toString(16)}`, i)
    }
    map.root()
    let total = 0
    for (let i = 0; i < 50; i++) total += proveKey(map, `/values/${((i * 2654435761) >>> 0).toString(16)}`).nodes.length
    sizes.push(total / 50)
    assert.ok(total / 50 < 2 * (Math.log2(n) + 4) + 1, `average ${total / 50} nodes at n = ${n}`)
  }
  // Eight times the keys adds a roughly constant number of nodes, never doubles them.
  assert.ok(sizes[2] - sizes[1] < 12 && sizes[1] - sizes[0] < 12, `sizes ${sizes.join(', ')}`)
})

test('structures no honest map builds are refused even when they hash to the given root', () => {
  const leaf = (key: string) => ({ node: { key, value: 1 } as ProofNode, hash: leafHash(Buffer.from(key), valueHash(1)) })
  const inner = (crit: number, l: { node: ProofNode[]; hash: Uint8Array }, r: { node: ProofNode[]; hash: Uint8Array }) => ({
    node: [{ crit }, ...l.node, ...r.node] as ProofNode[],
    hash: innerHash(crit, l.hash, r.hash),
  })
  const one = (key: string) => {
    const x = leaf(key)
    return { node: [x.node], hash: x.hash }
  }
  // "a" and "b" first differ at bit 7 ('a' = 0x61, 'b' = 0x62, bit 7 is 0x02): 'b' has the 1.
  const cases = {
    'a leaf on the wrong side of its crit bit': inner(7, one('b'), one('a')),
    'leaves out of order': inner(0, inner(7, one('a'), one('b')), one('a')),
    'crit bits not increasing downwards': inner(7, inner(7, one('a'), one('b')), one('c')),
  }
  for (const [name, t] of Object.entries(cases)) {
    const r = verifyKeyProof({ version: 1, type: 'membership', key: 'a', nodes: t.node }, t.hash)
    assert.equal(r.valid, false, name)
  }
  // In order, but 'b' (bit 7 set) sits left of 'q' (0x71, bit 7 clear): a lookup of 'b' would
  // reach 'q' and call 'b' absent although the proof shows it.
  const sides = inner(7, one('b'), one('q'))
  assert.equal(verifyKeyProof({ version: 1, type: 'absence', key: 'b', nodes: sides.node }, sides.hash).valid, false)
  // The honest form of the first case verifies.
  const ok = inner(7, one('a'), one('b'))
  assert.ok(verifyKeyProof({ version: 1, type: 'membership', key: 'a', nodes: ok.node }, ok.hash).valid)
})
