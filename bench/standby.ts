// `BENCH=standby`: what the hold before each append costs. The same kv-store history (n puts, in the
// writer oplog before the executor starts) is executed twice in the same run, both online on a private
// loopback DHT: once alone, once with a standby that must hold each block (forwarded, written and
// synced on its side) before the executor appends it. Printed: ops/s of each, the ratio, and the
// added time per block.

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { readExecutorKeyFile } from '../src/failover/takeover.js'
import { Database } from '../src/index.js'
import { startBootstrapNodes } from '../src/net/dht-bootstrap.js'
import { joinDatabase } from '../src/participant/join.js'
import { progress, unprocessedHistory, withDir } from './history.js'

const SIZES = (process.env.BENCH_STANDBY_SIZES ?? '10000,50000').split(',').map(Number)
const RUNS = Number(process.env.BENCH_RUNS ?? 2)

interface Run {
  opsPerSecond: number
  blocks: number
}

async function run(contract: string, n: number, bootstrap: { host: string; port: number }[], withStandby: boolean): Promise<Run> {
  const network = { bootstrap, announce: true, timeoutMs: 20_000 }
  return withDir((dir) =>
    withDir(async (standbyDir) => {
      await unprocessedHistory(dir, contract, n)
      let standby: Database | null = null
      if (withStandby) {
        // The standby joins while the executor is online without executing, then holds its key pair.
        const offline = await Database.load(dir, { network, execute: false })
        const keyFile = path.join(standbyDir, '..', `${path.basename(standbyDir)}.key`)
        await offline.writeExecutorKey(keyFile)
        await joinDatabase(standbyDir, offline.key)
        standby = await Database.load(standbyDir, { network })
        await standby.standBy((await readExecutorKeyFile(keyFile))!, { takeoverAfterMs: 600_000 })
        await offline.close()
      }
      try {
        let blocks = 0
        const start = performance.now()
        const db = await Database.load(dir, { network, ...(standby ? { standby: standby.swarmKey! } : {}) })
        db.on('block', () => blocks++)
        await db.settled()
        const seconds = (performance.now() - start) / 1000
        await db.close()
        return { opsPerSecond: n / seconds, blocks }
      } finally {
        await standby?.close()
      }
    }),
  )
}

export async function runStandbyBench(): Promise<void> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const dht = await startBootstrapNodes()
  try {
    console.log('Failover: the executor alone and with a standby holding each block first (kv-store puts, loopback DHT, same run, best of runs)')
    console.log('| ops | blocks | alone, ops/s | with a standby, ops/s | ratio | added per block |')
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const n of SIZES) {
      const best = { alone: { opsPerSecond: 0, blocks: 0 }, standby: { opsPerSecond: 0, blocks: 0 } }
      for (let r = 0; r < RUNS; r++) {
        // Alternating which goes first, so a busy machine weighs on both alike.
        for (const withStandby of r % 2 === 0 ? [false, true] : [true, false]) {
          progress(`bench: standby, ${n} ops, ${withStandby ? 'with a standby' : 'alone'} (run ${r + 1} of ${RUNS})…`)
          const got = await run(contract, n, dht.bootstrap, withStandby)
          const b = withStandby ? best.standby : best.alone
          if (got.opsPerSecond > b.opsPerSecond) Object.assign(b, got)
        }
      }
      const f = (x: number) => Math.round(x).toLocaleString('en-US')
      const perBlock = (n / best.standby.opsPerSecond - n / best.alone.opsPerSecond) / Math.max(1, best.standby.blocks)
      console.log(`| ${n.toLocaleString('en-US')} | ${best.standby.blocks} | ${f(best.alone.opsPerSecond)} | ${f(best.standby.opsPerSecond)} | ${(best.standby.opsPerSecond / best.alone.opsPerSecond).toFixed(2)} | ${(perBlock * 1000).toFixed(2)} ms |`)
    }
  } finally {
    await dht.close()
  }
}
