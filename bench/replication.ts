// Replication over the network, on a private DHT on loopback (nothing reaches the public network):
//
// 1. A key/value database of n puts is served by its executor; a fresh remote monitor in a child
//    process replicates and verifies all of it (`verifyRemote`), and another fresh replica only
//    downloads the index and the oplog. Baseline in the same run: `verifyDirectory` on the
//    executor's own directory.
// 2. A joined participant in a child process writes puts at a steady offered rate, optionally with a
//    second participant loading at the same rate; for each op, the time from `db.call` to
//    `whenProcessed()` in that participant. Baseline: the same calls on the executor's own Database.
//    The table sets p99 beside the goal at 1,000 ops/s offered (TARGET_P99_MS).
//
// Run alone with BENCH=replication; BENCH_REPLICATION_SIZES, _RATES, _OPS and _SECOND=0 pick the work.
// Children are this same file run with `--child`; they talk to the parent over the IPC channel.

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { DHTNodeAddress } from 'hyperdht'
import type Hypercore from 'hypercore'
import { encodeOp } from '../src/codec/messages.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { startBootstrapNodes } from '../src/net/dht-bootstrap.js'
import { openRemoteLogs } from '../src/net/remote-logs.js'
import { verifyRemote } from '../src/net/remote-monitor.js'
import { joinDatabase } from '../src/participant/join.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { BenchChild } from './child.js'
import { quantile } from './quantile.js'
import { transportFloor, transportShape, type TransportRow, type TransportShape } from './transport-floor.js'

const CHILD_FLAG = '--child'
/** The goal for acks at TARGET_RATE offered: p99 from db.call() to whenProcessed(), in ms, by caller. */
const TARGET_RATE = 1000
const TARGET_P99_MS: Partial<Record<LatencyRow['scenario'], number>> = { local: 10, remote: 50 }
const TIMEOUT_MS = 20_000
const progress = (msg: string) => process.stderr.write(msg + '\n')
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const numbers = (text: string) => text.split(',').filter((s) => s.trim() !== '').map(Number)

export interface ReplicationRow {
  entries: number
  localPerSec: number
  remotePerSec: number
  /** verifyRemote from its call to its return: connection, replication, verification, close. */
  remoteWallSeconds: number
  replicatePerSec: number
  replicateMBps: number
  /** From openRemoteLogs to a replica that holds the index head (first peer, first sync). */
  connectMs: number
}

export interface LatencyRow {
  rate: number
  scenario: 'local' | 'remote' | 'remote + 2nd'
  p50: number
  p99: number
  max: number
  /** Median time from the call to the executor running the op (the ack's timestamp; 1 ms resolution). */
  p50ToExecutor: number
  /** Calls made per second (below `rate` when the caller itself cannot keep up). */
  issued: number
  /** Ops acknowledged per second, from the first call to the last ack. */
  achieved: number
  /** Share of the row's time the caller's event loop was busy (0–1). */
  callerBusy: number
  /** Share of the row's time the executor's event loop was busy (0–1): queues build past about 0.7. */
  executorBusy: number
  /**
   * p50 of the last quarter of calls over p50 of the first quarter: near 1 when the row's rate is
   * sustained; well above it when a queue grows, so that the row's p99 grows with its length.
   */
  lateOverEarly: number
}

type Net = { bootstrap: DHTNodeAddress[]; timeoutMs: number }
type ToChild =
  | { type: 'replicate'; dir: string; key: string; net: Net; oplogs: string[] }
  | { type: 'verify'; dir: string; key: string; net: Net }
  | { type: 'verify-local'; dir: string }
  | { type: 'open'; dir: string; net: Net }
  | { type: 'run'; rate: number; count: number; tag: string }
  | { type: 'load'; rate: number; tag: string }
  | { type: 'stop' }
  | { type: 'close' }
type FromChild =
  | { type: 'replicated'; connectMs: number; seconds: number; entries: number; bytes: number }
  | { type: 'verified'; wallMs: number; seconds: number; length: number; valid: boolean; breach: string | null }
  | { type: 'opened'; loadMs: number; inputMs: number; length: number }
  | { type: 'ran'; row: Omit<LatencyRow, 'scenario'> }
  | { type: 'stopped' }
  | { type: 'closed' }
  | { type: 'failed'; error: string }

export async function runReplicationBench(): Promise<{ replication: ReplicationRow[]; latency: LatencyRow[]; transport: TransportRow[] }> {
  const sizes = numbers(process.env.BENCH_REPLICATION_SIZES ?? '1000,10000')
  const rates = numbers(process.env.BENCH_REPLICATION_RATES ?? '100,500,1000,5000')
  const count = Number(process.env.BENCH_REPLICATION_OPS ?? 1000)
  const second = process.env.BENCH_REPLICATION_SECOND !== '0'
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const dht = await startBootstrapNodes()
  const net: Net = { bootstrap: dht.bootstrap, timeoutMs: TIMEOUT_MS }
  try {
    const replication: ReplicationRow[] = []
    for (const n of sizes) replication.push(await replicationRun(contract, n, net))
    const latency = await latencyRuns(contract, rates, count, second, net)
    progress('bench: the transport alone (a bare Hypercore followed over the swarm)…')
    const shape = transportShape()
    const transport = rates.length > 0 ? await transportFloor(rates, count, net.bootstrap, shape) : []
    print(replication, latency, transport, count, shape)
    return { replication, latency, transport }
  } finally {
    await dht.close()
  }
}

async function withDirs<T>(k: number, fn: (dirs: string[]) => Promise<T>): Promise<T> {
  const dirs: string[] = []
  try {
    for (let i = 0; i < k; i++) dirs.push(await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-net-')))
    return await fn(dirs)
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  }
}

/** A database of n puts, built in-process (appended straight to its oplog, then executed). */
async function build(dir: string, contract: string, n: number): Promise<{ key: string; oplogs: string[] }> {
  const created = await Database.create(dir, { contract, oplogs: ['writer'] })
  const built = { key: created.key, oplogs: Object.values(created.oplogs) }
  await created.close()
  const logs = new LogStore(dir)
  await logs.ready()
  const oplog = await logs.localOplog('writer')
  for (let i = 0; i < n; i += 1000) {
    const batch = []
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push(Buffer.from(encodeOp({ op: 'PUT', key: `k${j}`, value: { n: j, text: 'value-' + j } })))
    await oplog.append(batch)
  }
  await logs.close()
  const db = await Database.load(dir)
  await db.settled()
  await db.close()
  return built
}

async function replicationRun(contract: string, n: number, net: Net): Promise<ReplicationRow> {
  return withDirs(3, async ([execDir, replicaDir, monitorDir]) => {
    progress(`bench: replication, ${n} ops, building…`)
    const { key, oplogs } = await build(execDir, contract, n)
    progress(`bench: replication, ${n} ops, local verification…`)
    // In a fresh process like the remote monitor, so that both start with the same cold JIT.
    const local = await oneShot({ type: 'verify-local', dir: execDir }, 'verified')
    if (!local.valid) throw new Error(`local verification failed: ${local.breach}`)
    const server = await Database.load(execDir, { network: { ...net, announce: true } })
    try {
      progress(`bench: replication, ${n} ops, remote replica…`)
      const rep = await oneShot({ type: 'replicate', dir: replicaDir, key, net, oplogs }, 'replicated')
      progress(`bench: replication, ${n} ops, remote monitor…`)
      const ver = await oneShot({ type: 'verify', dir: monitorDir, key, net }, 'verified')
      if (!ver.valid || ver.length !== local.length) throw new Error(`remote verification: valid ${ver.valid}, ${ver.length} of ${local.length} entries (${ver.breach})`)
      return {
        entries: local.length,
        localPerSec: local.length / local.seconds,
        remotePerSec: ver.length / ver.seconds,
        remoteWallSeconds: ver.wallMs / 1000,
        replicatePerSec: rep.entries / rep.seconds,
        replicateMBps: rep.bytes / 1e6 / rep.seconds,
        connectMs: rep.connectMs,
      }
    } finally {
      await server.close()
    }
  })
}

async function latencyRuns(contract: string, rates: number[], count: number, second: boolean, net: Net): Promise<LatencyRow[]> {
  return withDirs(3, async ([execDir, p1Dir, p2Dir]) => {
    const created = await Database.create(execDir, { contract })
    await created.close()
    const executor = await Database.load(execDir, { network: { ...net, announce: true } })
    const children: Child[] = []
    try {
      await (await executor.call('claimAdmin')).whenProcessed()
      await drive(executor, 100, 50, 'warm-')
      const rows: LatencyRow[] = []
      for (const rate of rates) {
        progress(`bench: latency, local, ${rate} ops/s…`)
        rows.push({ scenario: 'local', ...(await drive(executor, rate, count, `local-${rate}-`)) })
      }
      const peers = second ? [p1Dir, p2Dir] : [p1Dir]
      for (const dir of peers) {
        const joined = await joinDatabase(dir, executor.key)
        const [added] = await (await executor.call('addParticipant', { pubkey: joined.oplog.pubkey })).whenProcessed()
        if (!added.success) throw new Error(`addParticipant: ${added.error}`)
        const child = new Child()
        children.push(child)
        const opened = await child.ask({ type: 'open', dir, net }, 'opened')
        progress(`bench: participant up: loaded (${opened.length} index entries) in ${opened.loadMs.toFixed(0)} ms, an input after ${opened.inputMs.toFixed(0)} ms`)
      }
      const [measured, loader] = children
      // Not counted: the first ops over a new connection.
      await measured.ask({ type: 'run', rate: 100, count: 50, tag: 'warm-' }, 'ran')
      for (const rate of rates) {
        progress(`bench: latency, remote, ${rate} ops/s…`)
        rows.push({ scenario: 'remote', ...(await executorBusy(() => measured.ask({ type: 'run', rate, count, tag: `remote-${rate}-` }, 'ran'))) })
        if (!loader) continue
        progress(`bench: latency, remote with a second participant, ${rate} ops/s each…`)
        loader.send({ type: 'load', rate, tag: `second-${rate}-` })
        const row = await executorBusy(() => measured.ask({ type: 'run', rate, count, tag: `busy-${rate}-` }, 'ran'))
        await loader.ask({ type: 'stop' }, 'stopped')
        rows.push({ scenario: 'remote + 2nd', ...row })
      }
      return rows
    } finally {
      for (const c of children) await c.close()
      await executor.close()
    }
  })
}

/** A remote caller's row, with how busy this process (the executor's) was while it ran. */
async function executorBusy(run: () => Promise<{ row: Omit<LatencyRow, 'scenario'> }>): Promise<Omit<LatencyRow, 'scenario'>> {
  const busy = performance.eventLoopUtilization()
  const { row } = await run()
  return { ...row, executorBusy: performance.eventLoopUtilization(busy).utilization }
}

/** Puts at `rate` ops/s, open loop (a slow ack never delays the next call); latency from call to ack. */
/** The caller is the process running this; for a local caller it is the executor as well. */
async function drive(db: Database, rate: number, count: number, tag: string, stop?: () => boolean): Promise<Omit<LatencyRow, 'scenario'>> {
  /** By call, in the order the calls were made (acks may come in another). */
  const latencies: number[] = []
  const toExecutor: number[] = []
  const pending: Promise<void>[] = []
  const busy = performance.eventLoopUtilization()
  const start = performance.now()
  for (let i = 0; i < count && !stop?.(); i++) {
    const wait = start + (i * 1000) / rate - performance.now()
    if (wait >= 1) await sleep(wait)
    const t0 = performance.now()
    const wall = Date.now()
    // Not awaited: the next call starts on time even while this one is being published.
    pending.push(
      db
        .call('put', { key: tag + i, value: { n: i, text: 'value-' + i } })
        .then((call) => call.whenProcessed())
        .then(([r]) => {
          if (!r.success) throw new Error(`put ${tag}${i} failed: ${r.error}`)
          latencies[i] = performance.now() - t0
          toExecutor.push(r.ts - wall)
        }),
    )
  }
  const issued = pending.length / ((performance.now() - start) / 1000)
  await Promise.all(pending)
  const seconds = (performance.now() - start) / 1000
  const callerBusy = performance.eventLoopUtilization(busy).utilization
  const quarter = Math.max(1, Math.floor(latencies.length / 4))
  const lateOverEarly = quantile(latencies.slice(-quarter), 0.5) / quantile(latencies.slice(0, quarter), 0.5)
  return { rate, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1), p50ToExecutor: quantile(toExecutor, 0.5), issued, achieved: latencies.length / seconds, callerBusy, executorBusy: callerBusy, lateOverEarly }
}

/** A child process running this file with --child. */
class Child extends BenchChild<ToChild, FromChild> {
  constructor() {
    super(fileURLToPath(import.meta.url), CHILD_FLAG, { close: { type: 'close' }, closed: 'closed' })
  }
}

async function oneShot<T extends FromChild['type']>(msg: ToChild, reply: T): Promise<Extract<FromChild, { type: T }>> {
  const child = new Child()
  try {
    return await child.ask(msg, reply)
  } finally {
    await child.close()
  }
}

// Child side.

async function childMain(): Promise<void> {
  let db: Database | null = null
  let stopLoad = false
  let loading: Promise<Error | null> | null = null
  const reply = (m: FromChild) => process.send?.(m)
  // The parent went away without asking us to close: leave the network rather than linger.
  process.once('disconnect', () => void db?.close())
  process.on('message', (msg: ToChild) => {
    void (async () => {
      switch (msg.type) {
        case 'replicate':
          return reply(await replicate(msg.dir, msg.key, msg.net, msg.oplogs))
        case 'verify':
        case 'verify-local': {
          const start = performance.now()
          const report = msg.type === 'verify' ? await verifyRemote(msg.dir, msg.key, msg.net) : await verifyDirectory(msg.dir)
          const breach = report.breach ? JSON.stringify(report.breach) : null
          return reply({ type: 'verified', wallMs: performance.now() - start, seconds: report.seconds, length: report.length, valid: report.valid, breach })
        }
        case 'open': {
          const start = performance.now()
          db = await Database.load(msg.dir, { network: msg.net })
          const loadMs = performance.now() - start
          const me = Object.values(db.oplogs)[0]
          const deadline = Date.now() + TIMEOUT_MS
          while (!(await db.info()).inputs.includes(me)) {
            if (Date.now() > deadline) throw new Error('the participant never saw itself added as an input')
            await sleep(10)
          }
          return reply({ type: 'opened', loadMs, inputMs: performance.now() - start, length: db.length })
        }
        case 'run':
          return reply({ type: 'ran', row: await drive(need(db), msg.rate, msg.count, msg.tag) })
        case 'load':
          stopLoad = false
          loading = drive(need(db), msg.rate, Number.MAX_SAFE_INTEGER, msg.tag, () => stopLoad).then(
            () => null,
            (err: Error) => err,
          )
          return
        case 'stop': {
          stopLoad = true
          const failure = await loading
          if (failure) throw failure
          return reply({ type: 'stopped' })
        }
        case 'close':
          await db?.close()
          db = null
          reply({ type: 'closed' })
          return process.disconnect()
      }
    })().catch((err: Error) => reply({ type: 'failed', error: err.stack ?? String(err) }))
  })
}

function need(db: Database | null): Database {
  if (!db) throw new Error('no database open in this child')
  return db
}

async function replicate(dir: string, key: string, net: Net, oplogs: string[]): Promise<FromChild> {
  const start = performance.now()
  const remote = await openRemoteLogs(dir, key, net)
  try {
    const connected = performance.now()
    const index = remote.logs.index
    const cores: Hypercore[] = [index]
    const fetches = [index.download({ start: 0, end: index.length }).done()]
    for (const pubkey of oplogs) {
      const core = await remote.logs.oplog(pubkey)
      cores.push(core)
      fetches.push(core.update({ wait: true }).then(() => core.download({ start: 0, end: core.length }).done()))
    }
    await Promise.all(fetches)
    const seconds = (performance.now() - connected) / 1000
    const bytes = cores.reduce((sum, c) => sum + (c as unknown as { byteLength: number }).byteLength, 0)
    return { type: 'replicated', connectMs: connected - start, seconds, entries: index.length, bytes }
  } finally {
    await remote.close()
  }
}

function print(replication: ReplicationRow[], latency: LatencyRow[], transport: TransportRow[], count: number, shape: TransportShape): void {
  const int = (x: number, w: number) => Math.round(x).toLocaleString('en-US').padStart(w)
  const fix = (x: number, d: number, w: number) => x.toFixed(d).padStart(w)
  const pct = (x: number) => `${Math.round(x * 100)}%`
  console.log('replication on loopback (private DHT), key/value example, index entries/s:')
  console.log('   entries  local verify  remote verify  remote/local  remote wall s  replicate  replicate MB/s  connect ms')
  for (const r of replication) {
    console.log(
      `${int(r.entries, 10)} ${int(r.localPerSec, 13)} ${int(r.remotePerSec, 14)} ${fix(r.remotePerSec / r.localPerSec, 2, 13)} ${fix(r.remoteWallSeconds, 2, 14)} ${int(r.replicatePerSec, 10)} ${fix(r.replicateMBps, 1, 15)} ${int(r.connectMs, 11)}`,
    )
  }
  console.log("local verify: verifyDirectory on the executor's directory; remote verify: verifyRemote into a fresh")
  console.log('directory, replicating as it verifies (both in a fresh process; rates over the verification pass, the')
  console.log('wall time adds finding the peer and closing); replicate: a fresh replica downloads the index and the')
  console.log('oplog (entries/s counts index entries, MB/s the bytes of both logs), after connect ms to first sync.')
  console.log()
  console.log(`latency from db.call() to whenProcessed() in the caller, ms (${count} puts per row, offered open loop):`)
  console.log('   offered  caller           p50      p99      max  p50 exec    issued   achieved   p50/local  busy call/exec  late/early  p99 target')
  const local = new Map(latency.filter((r) => r.scenario === 'local').map((r) => [r.rate, r.p50]))
  for (const r of latency) {
    const base = local.get(r.rate)
    const target = r.rate === TARGET_RATE ? TARGET_P99_MS[r.scenario] : undefined
    const verdict = target === undefined ? '' : `<= ${target} ${r.p99 <= target ? 'met' : 'MISSED'}`
    console.log(
      `${int(r.rate, 10)}  ${r.scenario.padEnd(13)} ${fix(r.p50, 1, 7)} ${fix(r.p99, 1, 8)} ${fix(r.max, 1, 8)} ${fix(r.p50ToExecutor, 0, 9)} ${int(r.issued, 9)} ${int(r.achieved, 10)} ${base ? fix(r.p50 / base, 1, 11) : ''.padStart(11)}  ${`${pct(r.callerBusy)} / ${pct(r.executorBusy)}`.padStart(14)} ${fix(r.lateOverEarly, 1, 11)}  ${verdict}`,
    )
  }
  console.log('local: calls on the executor\'s own Database; remote: a joined participant in another process, its')
  console.log('op replicated to the executor and the ack back; remote + 2nd: while a second participant puts at the')
  console.log("same rate. p50 exec: median from the call to the executor running the op (its ack's timestamp);")
  console.log('issued: calls made per second; achieved: acks per second from the first call to the last ack;')
  console.log("busy: the share of the row's time the caller's and the executor's event loops ran (one process")
  console.log('for a local caller): past about 70 % queues build and the tail grows; late/early: p50 of the')
  console.log("row's last quarter of calls over its first quarter's: well above 1, the rate is not sustained and")
  console.log("the row's p99 grows with its length (BENCH_REPLICATION_OPS), so it says little on its own.")
  const goals = Object.entries(TARGET_P99_MS).map(([who, ms]) => `${ms} ms ${who}`).join(', ')
  console.log(`p99 target: the goal at ${TARGET_RATE.toLocaleString('en-US')} ops/s offered, p99 at most ${goals}.`)
  if (transport.length === 0) return
  console.log()
  const shaped = shape.batch === 1 ? 'one block per append' : `${shape.batch} entries per append, ${shape.packed ? 'in one block' : 'a block each'}`
  console.log(`the transport alone: from an append to a follower in another process holding the block, ms (${count} entries per row, ${shaped}):`)
  console.log('   offered      p50      p99      max  busy writer/follower')
  for (const r of transport) {
    console.log(`${int(r.rate, 10)} ${fix(r.p50, 1, 8)} ${fix(r.p99, 1, 8)} ${fix(r.max, 1, 8)}  ${`${pct(r.writerBusy)} / ${pct(r.followerBusy)}`.padStart(20)}`)
  }
  console.log('A bare Hypercore of 256-byte entries over the same private swarm, offered in entries/s: no contract,')
  console.log('journal or index. A remote ack makes two such hops (its op to the executor, its entry back), each at')
  console.log('least one block per op, besides the work on both ends. BENCH_TRANSPORT_BATCH and _PACKED shape the appends.')
}

if (process.argv[2] === CHILD_FLAG && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await childMain()
