// The state commitment at 10^3..10^6 keys: how fast it takes changes and gives roots, how big its
// proofs are and how fast they verify. Random keys and sequential keys (`/values/k123456`, the
// key/value example's) are measured apart: they give tries of different shapes.
//
// Run alone with `node dist/bench/auth-map.js` (BENCH_AUTH_MAP_SIZES=1000,10000 to pick sizes).

import { pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { AuthMap, proveKey, proveRange, verifyKeyProof, verifyRange } from '../src/state/auth/index.js'

export interface AuthMapBenchRow {
  keys: number
  mode: 'random' | 'sequential'
  /** put() calls per second while building the map (inner hashes deferred to one root()). */
  insertPerSecond: number
  /** The one root() after building: every inner node hashed once. */
  fullRootMs: number
  /** Ops per second when each op puts one key (half new, half overwritten) and reads the new root. */
  opRootPerSecond: number
  /** Rebuilding the whole map from entries in key order (AuthMap.fromSorted) and its root. */
  rebuildMs: number
  /** Mean proof sizes, JSON bytes, and mean hashes carried. */
  membershipBytes: number
  membershipHashes: number
  absenceBytes: number
  range10Bytes: number
  range10Hashes: number
  /** Parsing the JSON text and verifying, per proof. */
  verifyMembershipUs: number
  verifyRange10Us: number
  /** Heap and array buffers the map holds, its keys' strings included, roughly. */
  memoryMB: number
}

const SAMPLES = 200

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s
  }
}

const randomKey = (next: () => number) => `/values/${next().toString(16).padStart(8, '0')}${next().toString(16).padStart(8, '0')}`

// A full collection before each reading, so the heap column is the map's and not garbage's. Typed
// arrays are counted by their size: the process's array buffer total lags behind collections.
v8.setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

function heapUsed(): number {
  collect()
  return process.memoryUsage().heapUsed
}

function typedBytes(map: AuthMap): number {
  return [map.crit, map.left, map.right, map.dirty, map.innerHashes, map.leafHashes].reduce((sum, a) => sum + a.byteLength, 0)
}

function hashesIn(nodes: object[]): number {
  let n = 0
  for (const x of nodes) if ('hash' in x || 'valueHash' in x) n++
  return n
}

function measure(n: number, mode: 'random' | 'sequential'): AuthMapBenchRow {
  const next = rng(n * 2 + (mode === 'random' ? 1 : 0))
  const before = heapUsed()
  const keys: string[] = new Array(n)
  for (let i = 0; i < n; i++) keys[i] = mode === 'random' ? randomKey(next) : `/values/k${i}`

  let t = performance.now()
  const map = new AuthMap()
  for (let i = 0; i < n; i++) map.put(keys[i], { n: i })
  const insertMs = performance.now() - t
  t = performance.now()
  map.root()
  const fullRootMs = performance.now() - t
  const memoryMB = (heapUsed() - before + typedBytes(map)) / 1e6

  const ops = Math.min(n, 20000)
  t = performance.now()
  for (let i = 0; i < ops; i++) {
    const key = i % 2 === 0 ? keys[next() % n] : mode === 'random' ? randomKey(next) : `/values/k${n + i}`
    map.put(key, { op: i })
    map.root()
  }
  const opRootPerSecond = ops / ((performance.now() - t) / 1000)

  const sorted = [...map.entries()]
  t = performance.now()
  const rebuilt = AuthMap.fromSorted(sorted)
  rebuilt.root()
  const rebuildMs = performance.now() - t
  sorted.length = 0

  const root = map.root()
  let membershipBytes = 0
  let membershipHashes = 0
  let absenceBytes = 0
  let range10Bytes = 0
  let range10Hashes = 0
  const memberTexts: string[] = []
  const rangeTexts: string[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const member = proveKey(map, keys[next() % n])
    if (member.type !== 'membership') throw new Error('membership proof of an absent key')
    const text = JSON.stringify(member)
    memberTexts.push(text)
    membershipBytes += text.length
    membershipHashes += hashesIn(member.nodes)

    const absent = proveKey(map, `${keys[next() % n]}~`)
    if (absent.type !== 'absence') throw new Error('absence proof of a present key')
    absenceBytes += JSON.stringify(absent).length

    const range = proveRange(map, { prefix: '/values/', gt: keys[next() % n], limit: 10 })
    const rangeText = JSON.stringify(range)
    rangeTexts.push(rangeText)
    range10Bytes += rangeText.length
    range10Hashes += hashesIn(range.nodes)
  }
  // Verification as a verifier gets proofs: as JSON text. The best of three rounds.
  const timeVerify = (texts: string[], verify: (text: string) => boolean): number => {
    let best = Infinity
    for (let round = 0; round < 3; round++) {
      const start = performance.now()
      for (const text of texts) if (!verify(text)) throw new Error('a proof failed to verify')
      best = Math.min(best, (performance.now() - start) / texts.length)
    }
    return best * 1000
  }
  const verifyMembershipUs = timeVerify(memberTexts, (text) => verifyKeyProof(JSON.parse(text), root).valid)
  const verifyRange10Us = timeVerify(rangeTexts, (text) => verifyRange(JSON.parse(text), root).valid)
  return {
    keys: n,
    mode,
    insertPerSecond: n / (insertMs / 1000),
    fullRootMs,
    opRootPerSecond,
    rebuildMs,
    membershipBytes: membershipBytes / SAMPLES,
    membershipHashes: membershipHashes / SAMPLES,
    absenceBytes: absenceBytes / SAMPLES,
    range10Bytes: range10Bytes / SAMPLES,
    range10Hashes: range10Hashes / SAMPLES,
    verifyMembershipUs,
    verifyRange10Us,
    memoryMB,
  }
}

const HEADER = ['keys', 'keys are', 'put/s', 'full root', 'op+root/s', 'rebuild', 'member', 'absent', 'range 10', 'verify member', 'verify range', 'memory']

function formatRow(r: AuthMapBenchRow): string[] {
  const k = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(0)}k` : x.toFixed(0))
  return [
    r.keys.toLocaleString('en-US'),
    r.mode,
    k(r.insertPerSecond),
    `${r.fullRootMs.toFixed(0)} ms`,
    k(r.opRootPerSecond),
    `${r.rebuildMs.toFixed(0)} ms`,
    `${r.membershipBytes.toFixed(0)} B (${r.membershipHashes.toFixed(1)} h)`,
    `${r.absenceBytes.toFixed(0)} B`,
    `${r.range10Bytes.toFixed(0)} B (${r.range10Hashes.toFixed(1)} h)`,
    `${r.verifyMembershipUs.toFixed(0)} µs`,
    `${r.verifyRange10Us.toFixed(0)} µs`,
    `${Math.max(0, r.memoryMB).toFixed(r.memoryMB < 10 ? 1 : 0)} MB`,
  ]
}

export function formatAuthMapTable(rows: AuthMapBenchRow[]): string {
  const cells = [HEADER, ...rows.map(formatRow)]
  const widths = HEADER.map((_, c) => Math.max(...cells.map((row) => row[c].length)))
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`
  return [line(HEADER), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map((r) => line(formatRow(r)))].join('\n')
}

/** Measures every size in one run and prints the table (progress to stderr); returns the rows. */
export function runAuthMapBench(sizes: number[] = [1e3, 1e4, 1e5, 1e6]): AuthMapBenchRow[] {
  const rows: AuthMapBenchRow[] = []
  for (const n of sizes) {
    for (const mode of ['random', 'sequential'] as const) {
      process.stderr.write(`bench: state commitment, ${n} ${mode} keys…\n`)
      rows.push(measure(n, mode))
    }
  }
  console.log('State commitment (authenticated map): proof sizes are JSON bytes, h = hashes carried')
  console.log(formatAuthMapTable(rows))
  return rows
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env.BENCH_AUTH_MAP_SIZES
  runAuthMapBench(env ? env.split(',').map(Number) : undefined)
}
