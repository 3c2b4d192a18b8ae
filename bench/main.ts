// `npm run bench`: executor throughput for the key/value example, beside a floor measured in the
// same run. The floor does the work the workload needs apart from the contract: read a block's ops
// together, decode them, hash the oplog tree for the acks, update the authenticated state and its
// root, encode the entries, seal each block, journal it (datasynced) and append it to a signed
// Hypercore, in blocks of the same size. The ratio says what the VM and bookkeeping cost on top.

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { decodeOp, encodeEntry, type OpEntry } from '../src/codec/messages.js'
import { sealBlock, type LogHead } from '../src/executor/seal-block.js'
import { STAGE_MEANINGS, STAGES, type Stage, type StageTimes } from '../src/executor/stage-times.js'
import type { Json } from '../src/vm/types.js'
import { toHex } from '../src/codec/hash.js'
import { AppendJournal } from '../src/log/append-journal.js'
import { BlockJournal } from '../src/log/block-journal.js'
import { LogStore } from '../src/log/store.js'
import { AuthMap } from '../src/state/auth/auth-map.js'
import { Database } from '../src/index.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { runAuthMapBench } from './auth-map.js'
import { runClaimsBench } from './claims.js'
import { progress, unprocessedHistory, withDir, writeOps } from './history.js'
import { runSyncBench } from './sync.js'
import { runDisputeBench } from './dispute.js'
import { runMemoryBench } from './memory.js'
import { runBatchBench } from './batch.js'
import { runConfidentialBench } from './confidential.js'
import { runStandbyBench } from './standby.js'
import { runGasBench } from './gas.js'
import { measureFraudProof } from './fraud-proofs.js'
import { runProofBench } from './proofs.js'
import { runReplicationBench } from './replication.js'
import { runRuntimeBench } from './runtime.js'

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number)
const BLOCK = 256
/** Executor runs per size, with and without the sync (`BENCH_RUNS`); the best of each is shown. */
const RUNS = Number(process.env.BENCH_RUNS ?? 2)

/**
 * Runs `fn` with the executor's appends not made durable before they are announced (the journal's
 * datasync skipped). For the bench only: it prices the sync; an executor run this way can fork its
 * log on a power loss.
 */
async function withoutSync<T>(fn: () => Promise<T>): Promise<T> {
  const sync = BlockJournal.prototype.sync
  BlockJournal.prototype.sync = async () => {}
  try {
    return await fn()
  } finally {
    BlockJournal.prototype.sync = sync
  }
}

/** Executor throughput, then verification throughput of the same history, in ops/s. */
async function executorRun(contract: string, n: number): Promise<{ executor: number; verify: number; stages: Record<Stage, number> }> {
  return withDir(async (dir) => {
    await unprocessedHistory(dir, contract, n)
    const start = performance.now()
    const loaded = await Database.load(dir)
    await loaded.settled()
    const seconds = (performance.now() - start) / 1000
    const keys = loaded.list('/values/').length
    const stages = (loaded.executorTimes as StageTimes).perOp()
    await loaded.close()
    if (keys < n) throw new Error(`only ${keys} of ${n} puts took effect: check the kv-store op format`)
    progress(`bench: ${n} ops, verification…`)
    const report = await verifyDirectory(dir)
    if (!report.valid || report.ops !== n) throw new Error(`verification failed: ${JSON.stringify(report.breach)}`)
    return { executor: n / seconds, verify: n / report.seconds, stages }
  })
}

async function floorRun(n: number): Promise<number> {
  return withDir(async (dir) => {
    const logs = new LogStore(dir)
    await logs.ready()
    await writeOps(logs, 'writer', n)
    const oplog = await logs.localOplog('writer')
    const index = await logs.localIndex()
    // Like the executor: each block is journaled, datasynced, before its append.
    const journal = await AppendJournal.start(dir, () => logs.flush(), { executorLogs: (log) => (log === undefined ? index : null) })
    const origin = toHex(oplog.key)
    const start = performance.now()
    const state = new AuthMap()
    let head: LogHead = { roots: [], peaks: [] }
    for (let first = 0; first < n; first += BLOCK) {
      const count = Math.min(BLOCK, n - first)
      // Reads of a block issued together, as the executor does; one oplog root per block.
      const reads = await Promise.all(Array.from({ length: count }, (_, i) => oplog.get(first + i)))
      const oplogHash = await oplog.treeHash(n)
      const block: Buffer[] = []
      let stateRoot = state.root()
      for (let i = 0; i < count; i++) {
        const bytes = reads[i]
        if (!bytes) throw new Error('missing op')
        const op = decodeOp(bytes) as { key: string; value: Json }
        const changes: OpEntry['changes'] = [{ type: 'put', key: `/values/${op.key}`, value: op.value }]
        stateRoot = state.update(changes)
        const entry: OpEntry = {
          type: 'op',
          ack: { origin, seq: first + i, oplogLength: n, oplogHash, ts: Date.now(), metadata: null, success: true, error: null },
          changes,
          stateRoot,
        }
        block.push(Buffer.from(encodeEntry(entry)))
      }
      // Each block closed by its signed seal, in the same append.
      const sealed = sealBlock(index, head, index.length, block, { stateRoot, positions: new Map([[origin, first + count - 1]]) })
      await journal.hold(index.length, [...block, sealed.bytes])
      await index.append([...block, sealed.bytes])
      head = { roots: sealed.roots, peaks: sealed.peaks }
    }
    const seconds = (performance.now() - start) / 1000
    await journal.close()
    await logs.close()
    return n / seconds
  })
}

async function main(): Promise<void> {
  const only = process.env.BENCH
  if (only === undefined || only === 'executor') await executorBench()
  if (only === undefined || only === 'gas') {
    console.log()
    await runGasBench()
  }
  if (only === undefined || only === 'runtime') {
    console.log()
    await runRuntimeBench()
  }
  if (only === undefined || only === 'auth-map') {
    console.log()
    runAuthMapBench()
  }
  if (only === undefined || only === 'proofs') {
    console.log()
    await runProofBench((process.env.BENCH_PROOF_SIZES ?? '1000,10000,100000,1000000').split(',').map(Number), (dir) => measureFraudProof(dir))
  }
  if (only === undefined || only === 'replication') {
    console.log()
    await runReplicationBench()
  }
  if (only === undefined || only === 'claims') {
    console.log()
    await runClaimsBench()
  }
  if (only === undefined || only === 'sync') {
    console.log()
    await runSyncBench()
  }
  if (only === undefined || only === 'dispute') {
    console.log()
    await runDisputeBench()
  }
  if (only === undefined || only === 'memory') {
    console.log()
    await runMemoryBench()
  }
  if (only === undefined || only === 'batch') {
    console.log()
    await runBatchBench()
  }
  if (only === undefined || only === 'confidential') {
    console.log()
    await runConfidentialBench()
  }
  if (only === undefined || only === 'standby') {
    console.log()
    await runStandbyBench()
  }
}

async function executorBench(): Promise<void> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const rows: { n: number; executor: number; unsynced: number; verify: number; floor: number; stages: Record<Stage, number> }[] = []
  for (const n of SIZES) {
    progress(`bench: ${n} ops, floor…`)
    const floor = await floorRun(n)
    // Best of RUNS each, alternating which goes first, so a busy machine weighs on both alike.
    let best = { executor: 0, verify: 0, stages: {} as Record<Stage, number> }
    let unsynced = 0
    for (let run = 0; run < RUNS; run++) {
      for (const synced of run % 2 === 0 ? [true, false] : [false, true]) {
        progress(`bench: ${n} ops, executor${synced ? '' : ' without the sync per block'} (run ${run + 1} of ${RUNS})…`)
        if (synced) {
          const r = await executorRun(contract, n)
          if (r.executor > best.executor) best = r
        } else {
          unsynced = Math.max(unsynced, (await withoutSync(() => executorRun(contract, n))).executor)
        }
      }
    }
    rows.push({ n, ...best, unsynced, floor })
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(9)
  console.log('key/value example, ops/s: executor end to end, each block synced to stable storage before it is')
  console.log('announced; no sync = the same without that sync (unsafe: a power loss can fork the log); full verification')
  console.log('of the same history; floor = reads, oplog roots, state-root hashing, encodings and signed appends without the contract')
  console.log('      keys   executor    no sync  sync cost     verify      floor   executor/floor   verify/executor')
  for (const r of rows) {
    const ratio = (a: number, b: number) => (a / b).toFixed(2).padStart(16)
    const cost = `${((1 - r.executor / r.unsynced) * 100).toFixed(1)}%`.padStart(10)
    console.log(`${String(r.n).padStart(10)} ${fmt(r.executor)} ${fmt(r.unsynced)} ${cost} ${fmt(r.verify)} ${fmt(r.floor)} ${ratio(r.executor, r.floor)}  ${ratio(r.verify, r.executor)}`)
  }
  console.log("where the executor's time per op goes (µs, best synced run), stage by stage; wall = 1/throughput:")
  console.log(`      keys ${STAGES.map((s) => s.padStart(12)).join('')}        total   wall`)
  for (const r of rows) {
    const total = STAGES.reduce((sum, s) => sum + r.stages[s], 0)
    console.log(`${String(r.n).padStart(10)} ${STAGES.map((s) => r.stages[s].toFixed(1).padStart(12)).join('')} ${total.toFixed(1).padStart(12)} ${(1e6 / r.executor).toFixed(1).padStart(6)}`)
  }
  for (const s of STAGES) console.log(`  ${s}: ${STAGE_MEANINGS[s]}`)
  if (process.argv.includes('--json')) console.log(JSON.stringify({ executor: rows }))
}

await main()
