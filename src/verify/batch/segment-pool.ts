// Runs segment validations on `jobs` workers (one job: in this thread). Each worker takes the next
// segment as soon as it is free, so a slow segment does not hold up the others. Workers are child
// processes by default: the replay allocates a lot, and two worker threads share one process's GC
// and allocator; measured here (docs/benchmarks.md), two processes validate some 1.3x faster than
// one job, two threads about as fast as one.

import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { GlassboxError } from '../../errors.js'
import type { Segment } from './segments.js'
import { validateSegment, type SegmentResult } from './validate-segment.js'

const ENTRY = new URL('./segment-worker.js', import.meta.url)

export interface SegmentJob {
  id: number
  dir: string
  segment: Segment
}

export type SegmentReply = { id: number; result: SegmentResult } | { id: number; error: { name: string; message: string; code?: string; fraudProof?: unknown } }

/** A segment that could not be validated at all (as opposed to one found in breach). */
export class SegmentError extends GlassboxError {
  constructor(
    code: string,
    message: string,
    readonly segment: Segment,
    readonly fraudProof: unknown = null,
  ) {
    super(code, message)
  }
}

/** Where segments run when there is more than one job: worker threads, or child processes (each its own heap). */
export type SegmentIsolation = 'thread' | 'process'

/** One worker, thread or process, behind the same calls. */
interface PoolWorker {
  on(event: 'message', f: (reply: SegmentReply) => void): void
  on(event: 'error', f: (err: Error) => void): void
  /** It stopped: killed, out of memory, or an uncaught error in it. */
  on(event: 'exit', f: (code: number | null) => void): void
  postMessage(job: SegmentJob): void
  terminate(): Promise<unknown>
}

function startWorker(isolation: SegmentIsolation, entry: URL): PoolWorker {
  if (isolation === 'thread') return new Worker(entry) as unknown as PoolWorker
  const child = fork(fileURLToPath(entry), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return {
    on: (event: 'message' | 'error' | 'exit', f: (x: SegmentReply & Error & number) => void) => void child.on(event, f as (x: unknown) => void),
    postMessage: (job) => void child.send(job),
    terminate: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill()
      }),
  }
}

/**
 * Validates every segment, `jobs` at a time; results come back in segment order. `entry` is the
 * worker's module (another one only to inject a fault).
 */
export async function validateSegments(
  dir: string,
  segments: readonly Segment[],
  jobs: number,
  onDone?: (r: SegmentResult) => void,
  isolation: SegmentIsolation = 'process',
  entry: URL = ENTRY,
): Promise<SegmentResult[]> {
  if (jobs <= 1 || segments.length <= 1) {
    const out: SegmentResult[] = []
    for (const s of segments) {
      const r = await validateSegment(dir, s).catch((err: Error & { code?: string; fraudProof?: unknown }) => {
        throw new SegmentError(err.code ?? 'SEGMENT_FAILED', `segment [${s.from}, ${s.to}): ${err.message}`, s, err.fraudProof ?? null)
      })
      onDone?.(r)
      out.push(r)
    }
    return out
  }
  const results: SegmentResult[] = new Array(segments.length)
  let next = 0
  let failure: SegmentError | null = null
  const run = (worker: PoolWorker) =>
    new Promise<void>((resolve) => {
      // The segment this worker holds, if any: a worker that stops with one never answers for it.
      let holding: number | null = null
      const give = () => {
        if (failure || next >= segments.length) return resolve()
        const id = next++
        holding = id
        worker.postMessage({ id, dir, segment: segments[id] } satisfies SegmentJob)
      }
      worker.on('exit', (code) => {
        if (holding === null) return
        const s = segments[holding]
        failure ??= new SegmentError('SEGMENT_WORKER', `segment [${s.from}, ${s.to}): its worker stopped (exit code ${code ?? 'none'}) before answering`, s)
        resolve()
      })
      worker.on('message', (reply: SegmentReply) => {
        holding = null
        const s = segments[reply.id]
        if ('error' in reply) failure ??= new SegmentError(reply.error.code ?? 'SEGMENT_FAILED', `segment [${s.from}, ${s.to}): ${reply.error.message}`, s, reply.error.fraudProof ?? null)
        else {
          results[reply.id] = reply.result
          onDone?.(reply.result)
        }
        give()
      })
      worker.on('error', (err) => {
        failure ??= new SegmentError('SEGMENT_WORKER', `a segment worker failed: ${err.message}`, segments[Math.max(0, next - 1)])
        resolve()
      })
      give()
    })
  const workers = Array.from({ length: Math.min(jobs, segments.length) }, () => startWorker(isolation, entry))
  try {
    await Promise.all(workers.map(run))
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
  if (failure) throw failure
  return results
}
