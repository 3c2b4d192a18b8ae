// `BENCH=runtime`: what running contract code off the main thread costs per op. The same
// key/value workload (one read and one write per op) runs through the executor in each runtime
// mode, local first as the baseline of the same run; the difference is the isolation's cost
// (a message each way per op and a synchronous round trip per state read).

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { encodeOp } from '../src/codec/messages.js'
import { RUNTIME_MODES, type RuntimeMode } from '../src/executor/runtime/runtime.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'

const progress = (msg: string) => process.stderr.write(msg + '\n')

async function runMode(contract: string, mode: RuntimeMode, n: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-runtime-'))
  try {
    const db = await Database.create(dir, { contract, oplogs: ['writer'] })
    await db.close()
    const logs = new LogStore(dir)
    await logs.ready()
    const oplog = await logs.localOplog('writer')
    for (let i = 0; i < n; i += 1000) {
      const batch = []
      for (let j = i; j < Math.min(n, i + 1000); j++) batch.push(Buffer.from(encodeOp({ op: 'PUT', key: `k${j}`, value: { n: j } })))
      await oplog.append(batch)
    }
    await logs.close()
    const loaded = await Database.load(dir, { executor: { runtime: mode } })
    // The first op starts the runtime and loads the contract in it: a one-off, left out of the per-op cost.
    const start = performance.now()
    await loaded.settled()
    const ms = performance.now() - start
    if (loaded.list('/values/').length < n) throw new Error(`${mode}: not every op took effect`)
    await loaded.close()
    return (ms * 1000) / n
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export async function runRuntimeBench(n = Number(process.env.BENCH_RUNTIME_OPS ?? 5000)): Promise<void> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const rows: { mode: RuntimeMode; us: number }[] = []
  for (const mode of RUNTIME_MODES) {
    progress(`bench: runtime ${mode}, ${n} ops…`)
    rows.push({ mode, us: await runMode(contract, mode, n) })
  }
  const local = rows[0].us
  console.log(`runtime modes, key/value example, ${n} ops through the executor (durable appends included): µs per op`)
  console.log('   mode     µs/op   ops/s   over local')
  for (const r of rows) {
    console.log(`${r.mode.padStart(7)} ${r.us.toFixed(1).padStart(9)} ${Math.round(1e6 / r.us).toLocaleString('en-US').padStart(7)} ${(r.us - local >= 0 ? '+' : '') + (r.us - local).toFixed(1).padStart(8)} µs`)
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ runtime: rows }))
}
