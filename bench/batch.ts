// Batch validation (`BENCH=batch`, docs/protocol.md §14): on one kv history, the executor's
// throughput without and with scheduled state checkpoints, a full replay's, and `verify --jobs j`
// for j = 1..N (child processes; 2 jobs also as worker threads), each as a ratio to the executor
// measured in the same run. The jobs curve is what a
// many-machine deployment reads off: each machine is one more job, minus the thread overheads.
// BENCH_BATCH_OPS picks the history (default 2·10^4 puts), BENCH_BATCH_EVERY the checkpoint
// interval K (default: an eighth of the history), BENCH_BATCH_JOBS the largest N (default: the cores, at least 2).

import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Database } from '../src/index.js'
import { listStateCheckpoints } from '../src/state/checkpoint/checkpoint-files.js'
import { verifyBatch } from '../src/verify/batch/batch-verify.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { progress, unprocessedHistory, withDir } from './history.js'

/** Runs the executor over `n` puts written beforehand; its ops/s, then `after(dir)` on the history. */
async function execute<T>(contract: string, n: number, every: number, after: (dir: string) => Promise<T>): Promise<{ opsPerSec: number; checkpoints: number; then: T }> {
  return withDir(async (dir) => {
    await unprocessedHistory(dir, contract, n, { checkpointEvery: every })
    const start = performance.now()
    const loaded = await Database.load(dir)
    await loaded.settled()
    await loaded.checkpointsWritten()
    const seconds = (performance.now() - start) / 1000
    await loaded.close()
    const checkpoints = (await listStateCheckpoints(dir)).length
    return { opsPerSec: n / seconds, checkpoints, then: await after(dir) }
  })
}

export async function runBatchBench(): Promise<void> {
  const n = Number(process.env.BENCH_BATCH_OPS ?? 20000)
  // About n + n/256 entries (one seal per block of 256 ops): K = an eighth of them gives 8 segments.
  const every = Number(process.env.BENCH_BATCH_EVERY ?? Math.ceil((n + Math.ceil(n / 256)) / 8))
  const maxJobs = Number(process.env.BENCH_BATCH_JOBS ?? Math.max(2, os.availableParallelism()))
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')

  progress(`bench batch: ${n} ops, executor…`)
  const plain = await execute(contract, n, 0, async (dir) => {
    progress(`bench batch: ${n} ops, full verify…`)
    const r = await verifyDirectory(dir)
    if (!r.valid || r.ops !== n) throw new Error(`full verification failed: ${JSON.stringify(r.breach)}`)
    return n / r.seconds
  })
  progress(`bench batch: ${n} ops, executor with a checkpoint every ${every} entries…`)
  const withCheckpoints = await execute(contract, n, every, async (dir) => {
    const curve: { label: string; opsPerSec: number; segments: number }[] = []
    const runs: { jobs: number; isolation: 'process' | 'thread' }[] = []
    for (let jobs = 1; jobs <= maxJobs; jobs++) runs.push({ jobs, isolation: 'process' })
    // The same two jobs as worker threads, to show what sharing one process's heap costs.
    runs.push({ jobs: 2, isolation: 'thread' })
    for (const { jobs, isolation } of runs) {
      const label = `verify --jobs ${jobs}${isolation === 'thread' ? ' (worker threads)' : ''}`
      progress(`bench batch: ${label}…`)
      const r = await verifyBatch(dir, { jobs, isolation })
      if (!r.valid || r.ops !== n) throw new Error(`batch verification failed: ${JSON.stringify(r.breach)}`)
      curve.push({ label, opsPerSec: n / r.seconds, segments: r.segments.length })
    }
    return curve
  })
  const base = plain.opsPerSec
  const row = (label: string, opsPerSec: number) => console.log(`  ${label.padEnd(34)} ${Math.round(opsPerSec).toLocaleString('en-US').padStart(8)} ops/s  ${(opsPerSec / base).toFixed(2)}x`)
  console.log(`Batch validation: ${n} kv puts, ${os.availableParallelism()} cores, checkpoint every ${every} entries (${withCheckpoints.checkpoints} checkpoints, ${withCheckpoints.then[0]?.segments ?? 0} segments); ratios to the executor`)
  row('executor', base)
  row('executor with checkpoints', withCheckpoints.opsPerSec)
  row('full verify (one replay)', plain.then)
  for (const p of withCheckpoints.then) row(p.label, p.opsPerSec)
}
