// Batch validation (docs/protocol.md §14, seed 002): the kept state checkpoints cut the history into
// segments, validated in parallel on `jobs` workers, each from its checkpoint's verified
// state; the results must chain. The report is a verify report (the same breach, the same fraud
// proof as a full replay) with the segments added.

import { toHex } from '../../codec/hash.js'
import { listStateCheckpoints } from '../../state/checkpoint/checkpoint-files.js'
import type { VerifyReport } from '../monitor.js'
import { openLogs } from '../verify-dir.js'
import { checkChain } from './chain.js'
import { validateSegments, type SegmentIsolation } from './segment-pool.js'
import { cutSegments, shareOf } from './segments.js'
import type { SegmentResult } from './validate-segment.js'

export interface BatchVerifyOptions {
  /** Worker threads (default 1: the segments one after the other in this thread). */
  jobs?: number
  /** Validate only share i (1-based) of n of the segments (`verify --segment i/n`). */
  share?: { i: number; n: number }
  /** With more than one job: child processes (default) or worker threads. */
  isolation?: SegmentIsolation
  /** Called as each segment is done (in the order they finish). */
  onSegment?: (r: SegmentResult) => void
}

export interface BatchReport extends VerifyReport {
  jobs: number
  /** The segments validated, in order (their fraud proofs are in the report's `fraudProof`). */
  segments: Omit<SegmentResult, 'fraudProof'>[]
  /** Every segment of the history, validated here or not (a share validates some of them). */
  total: number
  share?: { i: number; n: number }
}

/** Validates the database in `dir` segment by segment; throws when a segment cannot be validated or the results do not chain. */
export async function verifyBatch(dir: string, opts: BatchVerifyOptions = {}): Promise<BatchReport> {
  const started = performance.now()
  const jobs = Math.max(1, opts.jobs ?? 1)
  const { store, logs } = await openLogs(dir)
  const key = toHex(logs.index.key)
  const head = logs.index.length
  await store.close()
  const all = cutSegments(await listStateCheckpoints(dir), head)
  const segments = opts.share ? shareOf(all, opts.share.i, opts.share.n) : all
  const results = await validateSegments(dir, segments, jobs, opts.onSegment, opts.isolation)
  const from = segments[0]?.from ?? 0
  const to = segments[segments.length - 1]?.to ?? from
  checkChain(results, from, to)
  const failed = results.find((r) => !r.valid) ?? null
  const last = failed ?? results[results.length - 1]
  return {
    valid: failed === null,
    key,
    length: head,
    verified: last ? last.endAt.length : 0,
    stateRoot: last ? last.endAt.stateRoot : '',
    resumedFrom: from,
    ops: results.reduce((n, r) => n + r.ops, 0),
    breach: failed?.breach ?? null,
    notices: [],
    seconds: (performance.now() - started) / 1000,
    ...(failed?.fraudProof ? { fraudProof: failed.fraudProof } : {}),
    jobs,
    segments: results.map(({ fraudProof: _proof, ...r }) => r),
    total: all.length,
    ...(opts.share ? { share: opts.share } : {}),
  }
}
