// Memory and open time (`BENCH=memory`): the executor's resident memory with N keys in state (values
// in the state store on disk, only keys and hashes in memory), beside the state map's own share, and
// the time from Database.load to the first op processed, against a database of one key measured in
// the same run. Each figure comes from a process of its own (bench/memory-child.ts), after a full
// collection. BENCH_MEMORY_SIZES picks N (default 10^4 and 10^5; 10^6 takes some 5 minutes here).

import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { progress, withDir } from './history.js'

const run = promisify(execFile)
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'memory-child.js')
const SIZES = (process.env.BENCH_MEMORY_SIZES ?? '10000,100000').split(',').map(Number)

interface Measured {
  rss: number
  heapUsed: number
  external: number
  stateMap: number
}

interface Row {
  n: number
  built: Measured
  opened: Measured & { loadMs: number; firstOpMs: number }
}

async function child(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [CHILD, ...args], { maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>
}

async function row(n: number): Promise<Row> {
  return withDir(async (dir) => {
    progress(`bench: memory, ${n} keys: executing…`)
    const built = (await child(['build', dir, String(n)])) as unknown as Measured
    progress(`bench: memory, ${n} keys: reopening…`)
    const opened = (await child(['open', dir])) as unknown as Row['opened']
    return { n, built, opened }
  })
}

export async function runMemoryBench(): Promise<void> {
  const rows: Row[] = []
  for (const n of [1, ...SIZES]) rows.push(await row(n))
  const mb = (b: number) => (b / 1e6).toFixed(1).padStart(9)
  const base = rows[0]
  console.log('memory and open time, key/value example: RSS and V8 heap after a full collection; state map = keys and hashes')
  console.log('(values stay in the state store); open = Database.load, first op = load until one new op is processed;')
  console.log('the first row is a database of one key, measured in the same run')
  console.log('      keys   RSS (MB)  after run   heap (MB)  state map  map B/key  RSS B/key   open (ms)  first op (ms)')
  for (const r of rows) {
    const perKey = (b: number) => (r.n > 1 ? Math.round(b / r.n) : 0).toLocaleString('en-US').padStart(10)
    console.log(
      `${String(r.n).padStart(10)} ${mb(r.opened.rss)}  ${mb(r.built.rss)}  ${mb(r.opened.heapUsed)}  ${mb(r.opened.stateMap)} ${perKey(r.opened.stateMap)} ${perKey(r.opened.rss - base.opened.rss)}  ${r.opened.loadMs.toFixed(0).padStart(10)}  ${r.opened.firstOpMs.toFixed(0).padStart(13)}`,
    )
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ memory: rows }))
}
