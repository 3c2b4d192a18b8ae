// Coverage (docs/protocol.md §14.5): what a set of segment claims, from any number of verifiers,
// says about a database's history. Each claim is checked (format, signature, database); claims for
// the same segment must agree; segments must neither overlap nor leave gaps, and each must start at
// the seal and state root the one before it ended at. What is left is covered, by whom; the rest is
// reported uncovered. Browser-safe.

import { checkSegmentClaim, type SegmentClaim, type SegmentClaimEnd } from './segment-claim.js'

export interface CoveredSegment {
  from: number
  to: number
  result: 'valid' | 'breach'
  breach: { class: string; seq: number } | null
  start: SegmentClaimEnd
  end: SegmentClaimEnd
  /** The verifiers (public keys, hex) that claim it. */
  verifiers: string[]
}

export interface CoverageConflict {
  from: number
  to: number
  why: string
  verifiers: string[]
}

export interface CoverageReport {
  database: string | null
  /** The length coverage is reported up to (given, or the furthest claim's end). */
  head: number
  covered: CoveredSegment[]
  /** Ranges no agreeing, chaining claim covers. */
  uncovered: { from: number; to: number }[]
  conflicts: CoverageConflict[]
  /** Claims not counted, and why (bad signature, another database, malformed). */
  rejected: { source: string; reason: string }[]
  /** Every position in [0, head) covered by claims that agree, chain and found no breach. */
  complete: boolean
}

export interface CoverageOptions {
  /** The database the claims must be about (default: the first valid claim's). */
  database?: string
  /** The index length to report coverage up to (default: the furthest claim's end). */
  head?: number
}

const sameEnd = (a: SegmentClaimEnd, b: SegmentClaimEnd) => a.length === b.length && a.stateRoot === b.stateRoot && a.seal === b.seal
const short = (hex: string | null) => (hex === null ? 'none' : `${hex.slice(0, 8)}…`)

/** The coverage of `claims` (each with the name of where it came from, for the report). */
export function coverage(claims: readonly { source: string; claim: unknown }[], opts: CoverageOptions = {}): CoverageReport {
  const rejected: CoverageReport['rejected'] = []
  let database = opts.database ?? null
  const groups = new Map<string, SegmentClaim[]>()
  for (const { source, claim } of claims) {
    let c: SegmentClaim
    try {
      c = checkSegmentClaim(claim)
    } catch (err) {
      rejected.push({ source, reason: (err as Error).message })
      continue
    }
    database ??= c.database
    if (c.database !== database) {
      rejected.push({ source, reason: `the claim is about database ${short(c.database)}, not ${short(database)}` })
      continue
    }
    const k = `${c.from}:${c.to}`
    groups.set(k, [...(groups.get(k) ?? []), c])
  }
  const conflicts: CoverageConflict[] = []
  const agreed: CoveredSegment[] = []
  for (const list of groups.values()) {
    const [first] = list
    const verifiers = [...new Set(list.map((c) => c.verifier))].sort()
    const disagree = list.find((c) => c.result !== first.result || !sameEnd(c.start, first.start) || !sameEnd(c.end, first.end) || JSON.stringify(c.breach) !== JSON.stringify(first.breach))
    if (disagree) {
      const why = disagree.result !== first.result ? `verifiers disagree: ${first.result} by ${short(first.verifier)}, ${disagree.result} by ${short(disagree.verifier)}` : `verifiers claim different roots or seals for it (${short(first.verifier)}, ${short(disagree.verifier)})`
      conflicts.push({ from: first.from, to: first.to, why, verifiers })
      continue
    }
    agreed.push({ from: first.from, to: first.to, result: first.result, breach: first.breach, start: first.start, end: first.end, verifiers })
  }
  agreed.sort((a, b) => a.from - b.from || a.to - b.to)
  // Segments that overlap others (claims cut at different checkpoints) cover nothing: neither is taken over the other.
  const overlapping = new Set<CoveredSegment>()
  for (let i = 0; i < agreed.length; i++) {
    for (let j = i + 1; j < agreed.length && agreed[j].from < agreed[i].to; j++) {
      overlapping.add(agreed[i]).add(agreed[j])
      conflicts.push({ from: agreed[j].from, to: Math.min(agreed[i].to, agreed[j].to), why: `segments [${agreed[i].from}, ${agreed[i].to}) and [${agreed[j].from}, ${agreed[j].to}) overlap`, verifiers: [...new Set([...agreed[i].verifiers, ...agreed[j].verifiers])].sort() })
    }
  }
  let covered = agreed.filter((s) => !overlapping.has(s))
  // Adjacent segments must chain: the next starts at the seal and root the previous ended at.
  const broken = new Set<CoveredSegment>()
  for (let i = 0; i + 1 < covered.length; i++) {
    const a = covered[i]
    const b = covered[i + 1]
    if (a.to === b.from && a.result === 'valid' && !sameEnd(a.end, b.start)) {
      broken.add(b)
      conflicts.push({ from: b.from, to: b.to, why: `[${a.from}, ${a.to}) ends at state root ${short(a.end.stateRoot)} (seal ${short(a.end.seal)}) but [${b.from}, ${b.to}) starts at ${short(b.start.stateRoot)} (seal ${short(b.start.seal)})`, verifiers: b.verifiers })
    }
  }
  covered = covered.filter((s) => !broken.has(s))
  const head = opts.head ?? Math.max(0, ...[...groups.values()].flat().map((c) => c.to))
  const uncovered: CoverageReport['uncovered'] = []
  let at = 0
  for (const s of covered) {
    if (s.from > at) uncovered.push({ from: at, to: Math.min(s.from, head) })
    at = Math.max(at, s.to)
  }
  if (at < head) uncovered.push({ from: at, to: head })
  const complete = uncovered.length === 0 && conflicts.length === 0 && covered.every((s) => s.result === 'valid')
  return { database, head, covered, uncovered: uncovered.filter((u) => u.from < u.to), conflicts, rejected, complete }
}
