// Segment claims and coverage (docs/protocol.md §14.4-14.5) against their adversaries: a forged
// signature, a claim about another database, verifiers that disagree about a segment, segments
// that overlap, leave gaps or do not chain, and a claims file that was tampered with. Beside them
// the honest case: two machines, each validating a share, cover the whole history.

import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import sodium from 'sodium-native'
import { coverage } from '../src/claims/coverage.js'
import { checkSegmentClaim, segmentClaimSignable, signSegmentClaim, type SegmentClaim, type SegmentClaimBody } from '../src/claims/segment-claim.js'
import { Database } from '../src/index.js'
import { glassbox } from './helpers/cli.js'
import { example, send1, tempDir } from './helpers/databases.js'

function keyPair(seed?: number): Uint8Array {
  const pk = Buffer.alloc(32)
  const sk = Buffer.alloc(64)
  if (seed === undefined) sodium.crypto_sign_keypair(pk, sk)
  else sodium.crypto_sign_seed_keypair(pk, sk, Buffer.alloc(32, seed))
  return new Uint8Array(sk)
}

const body = ({ signature: _s, format: _f, verifier: _v, ...rest }: SegmentClaim): SegmentClaimBody => rest
const resign = (c: SegmentClaim, change: Partial<SegmentClaimBody>, sk: Uint8Array) => signSegmentClaim({ ...body(c), ...change }, sk)
const of = (claims: SegmentClaim[], opts = {}) => coverage(claims.map((claim, i) => ({ source: `claim ${i}`, claim })), opts)

/** A kv history with checkpoints every 10 entries (3 segments), and the claims two machines make of its two shares. */
async function shares(t: TestContext): Promise<{ dir: string; a: string; b: string; head: number; claims: SegmentClaim[] }> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'], checkpointEvery: 10 })
  let head: number
  try {
    await send1(db, 'claimAdmin', {}, 'alice', true)
    for (let i = 0; i < 12; i++) await send1(db, 'put', { key: `k${i % 5}`, value: i }, 'alice', true)
    await db.checkpointsWritten()
    head = db.length
  } finally {
    await db.close()
  }
  const a = path.join(dir, 'share-1.json')
  const b = path.join(dir, 'share-2.json')
  for (const [share, file, key] of [['1/2', a, 'a.key'], ['2/2', b, 'b.key']]) {
    const run = await glassbox(['verify', '--segment', share, '--claim-out', file, '--key', path.join(dir, key), '--dir', dir], process.cwd())
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /signed segment claim\(s\) by/)
  }
  const claims = [...(JSON.parse(await readFile(a, 'utf8')) as SegmentClaim[]), ...(JSON.parse(await readFile(b, 'utf8')) as SegmentClaim[])]
  return { dir, a, b, head, claims }
}

test('the segment claim vectors come out byte for byte, and check', async () => {
  const v = JSON.parse(await readFile(path.join(process.cwd(), 'test', 'vectors', 'segment-claim.json'), 'utf8')) as { verifierSeed: string; vectors: { name: string; claim: SegmentClaim; signable: string }[] }
  const sk = keyPair(Number.parseInt(v.verifierSeed.slice(0, 2), 16))
  assert.equal(v.verifierSeed, '0a'.repeat(32))
  for (const x of v.vectors) {
    assert.deepEqual(signSegmentClaim(body(x.claim), sk), x.claim, x.name)
    const { signature: _s, ...unsigned } = x.claim
    assert.equal(Buffer.from(segmentClaimSignable(unsigned)).toString('hex'), x.signable, x.name)
    assert.deepEqual(checkSegmentClaim(x.claim), x.claim)
  }
})

test('two machines each validating a share cover the whole history, and the coverage says by whom', async (t) => {
  const { a, b, head, claims } = await shares(t)
  assert.equal(claims.length, 3)
  const r = of(claims, { head })
  assert.equal(r.complete, true)
  assert.deepEqual(r.covered.map((s) => [s.from, s.to]), [[0, 11], [11, 21], [21, head]])
  assert.notEqual(r.covered[0].verifiers[0], r.covered[1].verifiers[0], 'two verifiers')
  const run = await glassbox(['coverage', a, b, '--head', String(head)], process.cwd())
  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /fully covered up to length 31/)
  const half = await glassbox(['coverage', a, '--head', String(head), '--json'], process.cwd())
  assert.equal(half.code, 1)
  assert.deepEqual(JSON.parse(half.stdout).uncovered, [{ from: 11, to: head }])
})

test('a forged signature, or a claim edited after signing, is rejected and covers nothing', async (t) => {
  const { head, claims } = await shares(t)
  const flipped = { ...claims[1], signature: (claims[1].signature[0] === '0' ? '1' : '0') + claims[1].signature.slice(1) }
  const edited = { ...claims[1], end: { ...claims[1].end, stateRoot: 'ab'.repeat(32) } }
  // Signed by a key that is not the one the claim names.
  const other = signSegmentClaim(body(claims[1]), keyPair())
  const impostor = { ...other, verifier: claims[1].verifier }
  for (const forged of [flipped, edited, impostor]) {
    assert.throws(() => checkSegmentClaim(forged), /is not signed by verifier/)
    const r = of([claims[0], forged, claims[2]], { head })
    assert.equal(r.complete, false)
    assert.deepEqual(r.uncovered, [{ from: 11, to: 21 }])
    assert.match(r.rejected[0].reason, /not signed by verifier/)
  }
})

test('a claim about another database is rejected', async (t) => {
  const { head, claims } = await shares(t)
  const elsewhere = resign(claims[1], { database: 'cd'.repeat(32) }, keyPair())
  const r = of([claims[0], elsewhere, claims[2]], { head })
  assert.equal(r.complete, false)
  assert.match(r.rejected[0].reason, /about database cdcdcdcd…, not/)
  assert.deepEqual(r.uncovered, [{ from: 11, to: 21 }])
  // Also when the other database's claim comes first and --database names the right one.
  const named = of([elsewhere, ...claims], { head, database: claims[0].database })
  assert.equal(named.complete, true)
  assert.equal(named.rejected.length, 1)
})

test('two verifiers disagreeing about a segment are a conflict, and the segment is not covered', async (t) => {
  const { head, claims } = await shares(t)
  const liar = keyPair()
  const breach = resign(claims[1], { result: 'breach', breach: { class: 'changes-mismatch', seq: 13 }, end: { ...claims[1].start, length: 13 } }, liar)
  const otherRoot = resign(claims[1], { end: { ...claims[1].end, stateRoot: 'ef'.repeat(32) } }, liar)
  for (const [dissent, why] of [[breach, /disagree: valid by .*, breach by/], [otherRoot, /different roots or seals/]] as const) {
    const r = of([...claims, dissent], { head })
    assert.equal(r.complete, false)
    assert.equal(r.conflicts.length, 1)
    assert.deepEqual([r.conflicts[0].from, r.conflicts[0].to], [11, 21])
    assert.match(r.conflicts[0].why, why)
    assert.equal(r.conflicts[0].verifiers.length, 2)
    assert.deepEqual(r.uncovered, [{ from: 11, to: 21 }])
  }
})

test('overlapping segments, gaps and segments that do not chain are reported uncovered', async (t) => {
  const { head, claims } = await shares(t)
  const sk = keyPair()
  // A segment cut at other bounds, overlapping [11, 21).
  const overlap = resign(claims[1], { from: 15, to: 25, start: { ...claims[1].start, length: 15 }, end: { ...claims[1].end, length: 25 } }, sk)
  const o = of([...claims, overlap], { head })
  assert.equal(o.complete, false)
  assert.ok(o.conflicts.some((c) => /overlap/.test(c.why)))
  assert.deepEqual(o.uncovered, [{ from: 11, to: head }])
  // A gap.
  const g = of([claims[0], claims[2]], { head })
  assert.equal(g.complete, false)
  assert.deepEqual(g.uncovered, [{ from: 11, to: 21 }])
  // A segment that starts at another root than the one before it ended at.
  const unchained = resign(claims[2], { start: { ...claims[2].start, stateRoot: '12'.repeat(32) } }, sk)
  const c = of([claims[0], claims[1], unchained], { head })
  assert.equal(c.complete, false)
  assert.match(c.conflicts[0].why, /ends at state root .* but \[21, 31\) starts at 12121212/)
  assert.deepEqual(c.uncovered, [{ from: 21, to: head }])
})

test('a tampered claims file gives a clear error, naming the file', async (t) => {
  const { dir, a, b, head } = await shares(t)
  const cut = path.join(dir, 'cut.json')
  await writeFile(cut, (await readFile(b, 'utf8')).slice(0, 200))
  const run = await glassbox(['coverage', a, cut, '--head', String(head)], process.cwd())
  assert.equal(run.code, 2)
  assert.match(run.stderr, /cut\.json is not a segment claims file: not valid JSON/)
  // Valid JSON, but a field changed: that claim is rejected, the rest counted.
  const edited = path.join(dir, 'edited.json')
  await writeFile(edited, (await readFile(b, 'utf8')).replace('"result": "valid"', '"result": "breach"'))
  const run2 = await glassbox(['coverage', a, edited, '--head', String(head), '--json'], process.cwd())
  assert.equal(run2.code, 1)
  const r = JSON.parse(run2.stdout) as { rejected: { source: string; reason: string }[] }
  assert.ok(r.rejected.length >= 1)
  assert.match(r.rejected[0].source, /edited\.json/)
  assert.match(r.rejected[0].reason, /not a segment claim|not signed/)
})
