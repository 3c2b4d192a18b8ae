// Chunk sync (`BENCH=sync`): the time to a verified head for a replica that starts from a state
// checkpoint near the head, against a replay from genesis of the same history, in the same run.
// Both read the logs from local disk, so the figures are the checking and re-execution work alone.
// Then the same over the network (a local DHT testnet, loopback): a fresh replica syncs from the
// executor's directory, from genesis and from the checkpoint its peer serves on the swarm
// (`glassbox sync KEY`), where the checkpoint also saves fetching the entries and ops before it.
// BENCH_SYNC_SIZES picks the history lengths (default 10^4 and 10^5; 10^6 takes some 15 minutes here);
// BENCH_SYNC_NETWORK=0 leaves the network rows out.

import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { checkpointsDir, readChunk, readManifest } from '../src/state/checkpoint/checkpoint-files.js'
import { openStateCheckpoint } from '../src/state/checkpoint/state-checkpoint.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { startBootstrapNodes } from '../src/net/dht-bootstrap.js'
import { SWARM_SOURCE, syncDatabase } from '../src/net/state-sync.js'
import { progress, withDir, writeOps } from './history.js'

interface NetworkRow {
  genesisSeconds: number
  checkpointSeconds: number
}

interface SyncRow {
  network: NetworkRow | null
  ops: number
  tail: number
  keys: number
  chunks: number
  bytes: number
  fullSeconds: number
  checkSeconds: number
  replaySeconds: number
}

/** Processes every op the writer's oplog holds, with the executor. */
async function execute(dir: string): Promise<Database> {
  const db = await Database.load(dir)
  await db.settled()
  return db
}

async function syncRow(contract: string, n: number): Promise<SyncRow> {
  return withDir(async (dir) => {
    await (await Database.create(dir, { contract, oplogs: ['writer'] })).close()
    // The checkpoint sits 1% before the head: what a replica joining a busy database would find.
    const tail = Math.max(256, Math.round(n / 100))
    const logs = new LogStore(dir)
    await logs.ready()
    await writeOps(logs, 'writer', n - tail)
    await logs.close()
    progress(`bench: sync, ${n} ops: executing ${n - tail}, then a state checkpoint…`)
    let db = await execute(dir)
    const { manifest } = await db.writeStateCheckpoint()
    await db.close()
    const more = new LogStore(dir)
    await more.ready()
    await writeOps(more, 'writer', tail, n - tail)
    await more.close()
    db = await execute(dir)
    await db.close()

    progress(`bench: sync, ${n} ops: replay from genesis…`)
    const fullStart = performance.now()
    const full = await verifyDirectory(dir)
    const fullSeconds = (performance.now() - fullStart) / 1000
    if (!full.valid) throw new Error(`the history does not verify: ${JSON.stringify(full.breach)}`)

    progress(`bench: sync, ${n} ops: from the checkpoint at ${manifest.length}…`)
    const checkStart = performance.now()
    const key = manifest.database
    const base = await openStateCheckpoint(await readManifest(dir, manifest.length), key, (i) => readChunk(dir, manifest.length, i))
    const checkSeconds = (performance.now() - checkStart) / 1000
    const replayStart = performance.now()
    const fromCheckpoint = await verifyDirectory(dir, { base })
    const replaySeconds = (performance.now() - replayStart) / 1000
    if (!fromCheckpoint.valid || fromCheckpoint.stateRoot !== full.stateRoot || fromCheckpoint.verified !== full.verified) {
      throw new Error('the replica started from the checkpoint did not end at the head and root of the full replay')
    }
    const network = process.env.BENCH_SYNC_NETWORK === '0' ? null : await networkRow(dir, key, n, full.stateRoot)
    return { network, ops: n, tail, keys: manifest.keys, chunks: manifest.chunks, bytes: await sizeOf(path.join(checkpointsDir(dir), String(manifest.length))), fullSeconds, checkSeconds, replaySeconds }
  })
}

/** A fresh replica's sync from the executor over a loopback swarm: from genesis, then from the checkpoint. */
async function networkRow(dir: string, key: string, n: number, stateRoot: string | undefined): Promise<NetworkRow> {
  const dht = await startBootstrapNodes()
  const db = await Database.load(dir, { network: { bootstrap: dht.bootstrap, announce: true } })
  try {
    const timed = async (from: string[]): Promise<number> =>
      withDir(async (replica) => {
        const start = performance.now()
        const report = await syncDatabase(replica, key, { bootstrap: dht.bootstrap, from, timeoutMs: 20_000 })
        const seconds = (performance.now() - start) / 1000
        if (!report.valid || report.stateRoot !== stateRoot || (from.length > 0) !== (report.start.from === 'checkpoint')) {
          throw new Error(`the replica synced ${from.length ? 'from the checkpoint' : 'from genesis'} did not end at the head's root: ${JSON.stringify(report.breach ?? report.start)}`)
        }
        return seconds
      })
    progress(`bench: sync, ${n} ops: over the network from genesis…`)
    const genesisSeconds = await timed([])
    progress(`bench: sync, ${n} ops: over the network from the checkpoint…`)
    const checkpointSeconds = await timed([SWARM_SOURCE])
    return { genesisSeconds, checkpointSeconds }
  } finally {
    await db.close()
    await dht.close()
  }
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size
  return total
}

export async function runSyncBench(): Promise<SyncRow[]> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const sizes = (process.env.BENCH_SYNC_SIZES ?? '10000,100000').split(',').map(Number)
  const rows: SyncRow[] = []
  for (const n of sizes) rows.push(await syncRow(contract, n))
  console.log('chunk sync, key/value example: time to a verified head from a state checkpoint 1% before it (check the')
  console.log('checkpoint, then verify the entries after it) against a replay from genesis, same history, same run, local disk')
  console.log('       ops   after cp      keys  chunks  checkpoint   genesis s   check s  replay s   total s   speedup')
  for (const r of rows) {
    const total = r.checkSeconds + r.replaySeconds
    const mb = `${(r.bytes / 1e6).toFixed(1)} MB`
    console.log(
      `${String(r.ops).padStart(10)} ${String(r.tail).padStart(10)} ${String(r.keys).padStart(9)} ${String(r.chunks).padStart(7)} ${mb.padStart(11)} ${r.fullSeconds.toFixed(2).padStart(11)} ${r.checkSeconds.toFixed(2).padStart(9)} ${r.replaySeconds.toFixed(2).padStart(9)} ${total.toFixed(2).padStart(9)} ${(r.fullSeconds / total).toFixed(1).padStart(8)}x`,
    )
  }
  if (rows.some((r) => r.network)) {
    console.log('the same over the network (loopback swarm, local DHT): a fresh replica syncs from the executor, `glassbox sync`')
    console.log('       ops   genesis s  checkpoint s   speedup')
    for (const r of rows) {
      if (!r.network) continue
      const { genesisSeconds: g, checkpointSeconds: c } = r.network
      console.log(`${String(r.ops).padStart(10)} ${g.toFixed(2).padStart(11)} ${c.toFixed(2).padStart(13)} ${(g / c).toFixed(1).padStart(8)}x`)
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ sync: rows }))
  return rows
}
