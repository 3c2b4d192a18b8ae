// The transport alone, the baseline of the remote latency rows: one bare Hypercore appended at the
// offered rate by this process, one block per append, and followed by a child process over the same
// kind of swarm (src/net/replicator.ts, on the bench's private DHT on loopback). No contract, journal,
// executor or index is behind it. The time from an append to the follower holding the block is one
// of the two hops a remote ack makes (the op to the executor, its entry back).
//
// Run by BENCH=replication after its latency rows. The child is this file run with `--follower`.
// BENCH_TRANSPORT_BATCH=b appends b entries at a time (rate/b appends a second, as an executor appends
// a block's entries and its seal), as b blocks, or as one with BENCH_TRANSPORT_PACKED=1: what storing
// a block's entries in one Hypercore block would change for the follower.

import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import Corestore from 'corestore'
import type { DHTNodeAddress } from 'hyperdht'
import type Hypercore from 'hypercore'
import { Replicator } from '../src/net/replicator.js'
import { BenchChild } from './child.js'
import { quantile } from './quantile.js'

const FOLLOWER_FLAG = '--follower'
/** About an index entry's size; the first 8 bytes carry the wall time of the append. */
const BLOCK_BYTES = 256
const TIMEOUT_MS = 20_000

export interface TransportRow {
  rate: number
  /** From the append to the follower holding the block, in ms. */
  p50: number
  p99: number
  max: number
  /** Share of the row's time the writer's and the follower's event loops were busy (0–1). */
  writerBusy: number
  followerBusy: number
}

type ToFollower = { type: 'open'; key: string; bootstrap: DHTNodeAddress[] } | { type: 'follow'; from: number; count: number } | { type: 'close' }
type FromFollower =
  | { type: 'opened' }
  | { type: 'followed'; latencies: number[]; busy: number }
  | { type: 'closed' }
  | { type: 'failed'; error: string }

/** Wall time in ms with sub-millisecond precision, comparable between processes on one machine. */
const wallNow = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** How entries go into appends: `batch` entries a time, in `batch` blocks or (packed) in one. */
export interface TransportShape {
  batch: number
  packed: boolean
}

export function transportShape(env: NodeJS.ProcessEnv = process.env): TransportShape {
  const batch = Number(env.BENCH_TRANSPORT_BATCH ?? 1)
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`BENCH_TRANSPORT_BATCH must be a positive integer, not ${env.BENCH_TRANSPORT_BATCH}`)
  return { batch, packed: env.BENCH_TRANSPORT_PACKED === '1' }
}

/** `count` entries per rate, `rate` entries a second, shaped as `shape` says. */
export async function transportFloor(rates: number[], count: number, bootstrap: DHTNodeAddress[], shape: TransportShape = { batch: 1, packed: false }): Promise<TransportRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-transport-'))
  const store = new Corestore(dir)
  const child = new BenchChild<ToFollower, FromFollower>(fileURLToPath(import.meta.url), FOLLOWER_FLAG, { close: { type: 'close' }, closed: 'closed' })
  let replicator: Replicator | null = null
  try {
    const core = store.get({ name: 'transport-floor' })
    await core.ready()
    replicator = await Replicator.open(store, { bootstrap })
    await replicator.join(core.discoveryKey, { announce: true })
    await child.ask({ type: 'open', key: core.key.toString('hex'), bootstrap }, 'opened')
    const rows: TransportRow[] = []
    for (const rate of rates) {
      const appends = Math.ceil(count / shape.batch)
      const blocks = shape.packed ? appends : appends * shape.batch
      const followed = child.ask({ type: 'follow', from: core.length, count: blocks }, 'followed')
      const writerBusy = await appendAtRate(core, rate / shape.batch, appends, shape)
      const { latencies, busy } = await followed
      rows.push({ rate, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1), writerBusy, followerBusy: busy })
    }
    return rows
  } finally {
    await child.close()
    await replicator?.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** Makes `count` appends at `rate` per second, open loop; returns how busy the event loop was. */
async function appendAtRate(core: Hypercore, rate: number, count: number, shape: TransportShape): Promise<number> {
  const busy = performance.eventLoopUtilization()
  const start = performance.now()
  const appends: Promise<unknown>[] = []
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - performance.now()
    if (wait >= 1) await sleep(wait)
    const stamp = wallNow()
    const entries = Array.from({ length: shape.batch }, () => {
      const entry = Buffer.alloc(BLOCK_BYTES, i & 0xff)
      entry.writeDoubleLE(stamp, 0)
      return entry
    })
    appends.push(core.append(shape.packed ? [Buffer.concat(entries)] : entries))
  }
  await Promise.all(appends)
  return performance.eventLoopUtilization(busy).utilization
}

// Follower side.

async function followerMain(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-transport-'))
  const store = new Corestore(dir)
  let replicator: Replicator | null = null
  let core: Hypercore | null = null
  const reply = (m: FromFollower) => process.send?.(m)
  // The bench went away without asking us to close: leave the swarm rather than linger.
  process.once('disconnect', () => void replicator?.close().finally(() => store.close()))
  process.on('message', (msg: ToFollower) => {
    void (async () => {
      switch (msg.type) {
        case 'open': {
          core = store.get({ key: Buffer.from(msg.key, 'hex') })
          await core.ready()
          replicator = await Replicator.open(store, { bootstrap: msg.bootstrap })
          await replicator.join(core.discoveryKey, { announce: false })
          await replicator.waitForPeer(TIMEOUT_MS, 'the transport bench writer')
          // Every block as it is announced, as a following participant asks for the index.
          core.download({ start: 0, end: -1 })
          return reply({ type: 'opened' })
        }
        case 'follow': {
          if (!core) throw new Error('no core open')
          const busy = performance.eventLoopUtilization()
          const latencies: number[] = []
          for (let i = msg.from; i < msg.from + msg.count; i++) {
            const block = await core.get(i, { timeout: TIMEOUT_MS })
            if (!block) throw new Error(`block ${i} never came`)
            latencies.push(wallNow() - block.readDoubleLE(0))
          }
          return reply({ type: 'followed', latencies, busy: performance.eventLoopUtilization(busy).utilization })
        }
        case 'close':
          await replicator?.close()
          await store.close()
          await rm(dir, { recursive: true, force: true })
          reply({ type: 'closed' })
          return process.disconnect()
      }
    })().catch((err: Error) => reply({ type: 'failed', error: err.stack ?? String(err) }))
  })
}

if (process.argv[2] === FOLLOWER_FLAG && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await followerMain()
