// One measurement of the memory bench (bench/memory.ts), in a process of its own so that its RSS is
// the database's and nothing else's. `build DIR N` executes N puts into a new database at DIR;
// `open DIR` appends one put and times Database.load until the executor has processed it, then
// measures the open executor's memory. Prints one JSON line.

import { runInNewContext } from 'node:vm'
import v8 from 'node:v8'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { unprocessedHistory, writeOps } from './history.js'

v8.setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

function memory(db: Database) {
  collect()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, stateMap: db.stateMapBytes }
}

async function build(dir: string, n: number): Promise<object> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  await unprocessedHistory(dir, contract, n)
  const db = await Database.load(dir)
  await db.settled()
  const after = memory(db)
  await db.close()
  return { n, ...after }
}

async function open(dir: string): Promise<object> {
  const logs = new LogStore(dir)
  await logs.ready()
  const oplog = await logs.localOplog('writer')
  await writeOps(logs, 'writer', 1, oplog.length)
  await logs.close()
  const start = performance.now()
  const db = await Database.load(dir)
  const loadMs = performance.now() - start
  await db.settled()
  const firstOpMs = performance.now() - start
  const { keys } = await db.info()
  const after = memory(db)
  await db.close()
  return { keys, loadMs, firstOpMs, ...after }
}

const [phase, dir, n] = process.argv.slice(2)
const result = phase === 'build' ? await build(dir, Number(n)) : await open(dir)
process.stdout.write(JSON.stringify(result) + '\n')
