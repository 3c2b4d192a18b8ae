// Faults between real processes: executors, participants and monitors each run as their own
// `glassbox` process with their own directory, on a private DHT this file starts on loopback.
// Peers are SIGKILLed mid-work (no clean shutdown, stale DHT records left behind) and restarted;
// whatever happens, every op published is processed exactly once and in order, and monitors
// converge on the executor's head without a breach.

import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { Database } from '../../src/index.js'
import type { VerifyReport } from '../../src/verify/monitor.js'
import type { Checkpoint } from '../../src/verify/checkpoint.js'
import { example } from '../helpers/databases.js'
import { eventually, localDht } from '../helpers/network.js'
import {
  assertNoBreach,
  assertOutcomesMatch,
  assertProcessedOnce,
  lastVerified,
  range,
  readMonitorCheckpoint,
  TestNetwork,
  Writer,
  type Acks,
  type GlassboxProcess,
  type ParticipantPeer,
} from '../helpers/net-processes.js'

const dht = localDht()

/** Records how long each phase of a test took, for its diagnostic line. */
function phases(): { mark(name: string): void; toString(): string } {
  let last = Date.now()
  const marks: string[] = []
  return {
    mark(name) {
      const now = Date.now()
      marks.push(`${name} ${now - last} ms`)
      last = now
    },
    toString: () => marks.join(', '),
  }
}

/** Reads the executor's acks until every oplog in `lengths` has that many ops acked (or more: the caller's check then fails). */
async function acksCovering(net: TestNetwork, execDir: string, lengths: Map<string, number>, what: string): Promise<Acks> {
  const last: { acks?: Acks } = {}
  await eventually(
    async () => {
      const acks = (last.acks = await net.acks(execDir))
      return [...lengths].every(([origin, n]) => (acks.seqs.get(origin)?.length ?? 0) >= n)
    },
    what,
    30_000,
  )
  assert.ok(last.acks)
  return last.acks
}

/** The ops the executor holds for `participant` are the ones its calls published (no op was replaced). */
async function assertSameOps(net: TestNetwork, execDir: string, participant: ParticipantPeer, writers: Writer[]): Promise<void> {
  const held = await net.ops(execDir, participant.pubkey)
  for (const w of writers) {
    for (const p of w.published()) {
      assert.equal(p.origin, participant.pubkey)
      assert.deepEqual(held.get(p.seq), p.op, `${participant.name}: op ${p.seq} as the executor holds it`)
    }
  }
}

/** Waits until the monitor verified exactly `length` entries, then stops it (it must exit 0, with no breach). */
async function monitorConverges(monitor: GlassboxProcess, length: number): Promise<void> {
  await eventually(() => lastVerified(monitor) === length || !monitor.running, `the monitor verifies ${length} entries`, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${monitor.describe()}`)
  })
  assertNoBreach(monitor)
  assert.equal(lastVerified(monitor), length, monitor.describe())
  assert.equal(await monitor.kill('SIGTERM'), 0, monitor.describe())
}

test('two remote participants write at once: each op is acked exactly once, and a remote monitor verifies the head', async (t) => {
  const started = Date.now()
  const time = phases()
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('E')
  const monitor = net.monitor(exec.key, 'M')
  const [p1, p2] = await Promise.all([net.participant(exec, 'P1'), net.participant(exec, 'P2')])

  time.mark('setup')
  // P1 through `glassbox call` processes, P2 on its server's socket from here, paced so that both
  // write over the same stretch of time; three calls at a time each, every one waiting for its ack.
  const N = 30
  const writers = [
    { p: p1, w: new Writer(net, p1, { workers: 3, wait: true, prefix: 'p1', max: N, via: 'cli' }) },
    { p: p2, w: new Writer(net, p2, { workers: 3, wait: true, prefix: 'p2', max: N, via: 'socket', pauseMs: 250 }) },
  ]
  await Promise.all(writers.map(({ w }) => w.finished()))
  time.mark('writes')
  for (const { p, w } of writers) {
    assert.equal(w.failed, 0, `${p.name}: every call returned`)
    const published = w.published()
    assert.ok(published.every((o) => o.origin === p.pubkey && o.index !== null))
    assert.deepEqual(published.map((o) => o.seq).sort((a, b) => a - b), range(N), `${p.name}: the calls published seqs 0..${N - 1}`)
    assert.ok(w.done.every((c) => c.ops[0].outcome?.success === true), `${p.name}: every put succeeded`)
  }

  const acks = await net.acks(exec.dir)
  assertProcessedOnce(acks, p1.pubkey, N, 'P1')
  assertProcessedOnce(acks, p2.pubkey, N, 'P2')
  assertProcessedOnce(acks, exec.admin, 3, 'the admin (claimAdmin, two addParticipant)')
  assert.deepEqual(acks.failed, [])
  for (const { p, w } of writers) assertOutcomesMatch(acks, w, p.name)
  // Concurrent: the executor took ops of P2 between the first and the last op of P1.
  const at = (p: ParticipantPeer, seq: number) => acks.at.get(`${p.pubkey}/${seq}`) ?? -1
  assert.ok(range(N).some((seq) => at(p2, seq) > at(p1, 0) && at(p2, seq) < at(p1, N - 1)), 'the two oplogs were processed interleaved')
  assert.equal(await net.oplogLength(p1.dir), N)
  assert.equal(await net.oplogLength(p2.dir), N)

  time.mark('acks')
  await monitorConverges(monitor, acks.length)
  const local = await net.verifyLocal(exec.dir)
  assert.equal(local.verified, acks.length)
  time.mark('verify')
  t.diagnostic(`${2 * N} ops from two participants, index ${acks.length} entries; ${time}; ${Date.now() - started} ms`)
})

test('a remote monitor SIGKILLed mid-replication resumes from its checkpoint and reaches the head a fresh verify finds', async (t) => {
  const started = Date.now()
  const time = phases()
  const net = await TestNetwork.start(t, dht.flag())
  const dir = net.path('E')
  const OPS = 3000
  const db = await Database.create(dir, { contract: await example('kv-store') })
  let length: number
  try {
    const value = 'v'.repeat(100)
    for (let i = 0; i < OPS; i += 500) {
      const calls = []
      for (let j = i; j < Math.min(OPS, i + 500); j++) calls.push(db.call('put', { key: `k${j}`, value: `${value}${j}` }))
      await Promise.all(calls)
    }
    await db.settled()
    length = db.length
  } finally {
    await db.close()
  }
  time.mark('build')
  const exec = await net.serveExecutor('E')
  const key = exec.ready.key
  time.mark('serve')
  const mDir = net.path('M')

  // Every checkpoint the monitor writes, across its runs. A run that resumes writes only positions
  // past its checkpoint; one that started over would write a position a second time.
  const writes: number[] = []
  let polling = true
  const poller = (async () => {
    let mtime = 0
    while (polling) {
      const before = await stat(path.join(mDir, 'monitor.json')).catch(() => null)
      if (before && before.mtimeMs !== mtime) {
        const c = await readMonitorCheckpoint(mDir)
        const after = await stat(path.join(mDir, 'monitor.json')).catch(() => null)
        // Rewritten while being read: taken on the next round.
        if (c && after?.mtimeMs === before.mtimeMs) {
          mtime = before.mtimeMs
          writes.push(c.verified)
        }
      }
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  const stopPolling = async () => {
    polling = false
    await poller
  }
  t.after(stopPolling)

  // Two cuts, each right after a checkpoint, while the replica is still downloading and verifying.
  const cuts: number[] = []
  for (let cut = 0; cut < 2; cut++) {
    const monitor = net.monitor(key, 'M')
    const from = cuts.at(-1) ?? 0
    await eventually(() => (writes.at(-1) ?? 0) > from || lastVerified(monitor) >= 0 || !monitor.running, `the monitor checkpoints past ${from}`, 30_000)
    assert.equal(await monitor.kill('SIGKILL'), 'SIGKILL', monitor.describe())
    time.mark(`cut ${cut + 1}`)
    assertNoBreach(monitor)
    const at = (await readMonitorCheckpoint(mDir))?.verified ?? 0
    if (at >= length) {
      t.diagnostic(`cut ${cut + 1} came after the monitor reached the head`)
      break
    }
    cuts.push(at)
  }
  assert.ok(cuts.length > 0 && cuts[0] > 0 && cuts[0] < length, `the monitor was cut mid-way (checkpoints at ${cuts.join(', ')} of ${length})`)

  const monitor = net.monitor(key, 'M')
  await monitorConverges(monitor, length)
  time.mark('converge')
  await stopPolling()
  const final = await readMonitorCheckpoint(mDir)
  assert.equal(final?.verified, length)
  const midway = writes.filter((v) => v < length)
  assert.deepEqual(midway, [...new Set(midway)].sort((a, b) => a - b), `each position was checkpointed once, in order: ${writes.join(' → ')}`)
  for (const c of cuts) assert.ok(midway.includes(c), `the cut at ${c} was seen: ${writes.join(' → ')}`)
  const resumed = await net.json<VerifyReport>(['verify', key, '--dir', mDir, '--checkpoint', '--bootstrap', net.bootstrap])
  assert.deepEqual([resumed.valid, resumed.resumedFrom, resumed.verified, resumed.ops], [true, length, length, 0], 'the checkpoint stands at the head')
  time.mark('verify M --checkpoint')

  // The same heads as the executor's own verify records.
  assert.equal((await net.verifyLocal(exec.dir, ['--checkpoint'])).verified, length)
  const execCheckpoint = await readMonitorCheckpoint(exec.dir)
  assert.ok(execCheckpoint)
  const heads = (c: Checkpoint) => ({ index: [c.heads.index.length, c.heads.index.hash], oplogs: Object.fromEntries(Object.entries(c.heads.oplogs).map(([k, v]) => [k, [v.length, v.hash]])) })
  assert.deepEqual(heads(final), heads(execCheckpoint))
  time.mark('verify E')

  // A one-shot verify from a fresh replica finds the same; so does the twice-killed replica replayed from its first entry.
  const [fresh, replica] = await Promise.all([
    net.json<VerifyReport>(['verify', key, '--bootstrap', net.bootstrap]),
    net.json<VerifyReport>(['verify', key, '--dir', mDir, '--bootstrap', net.bootstrap]),
  ])
  for (const report of [fresh, replica]) {
    assert.equal(report.valid, true, JSON.stringify(report.breach))
    assert.deepEqual([report.length, report.verified, report.resumedFrom, report.ops], [length, length, 0, OPS])
  }
  time.mark('verify fresh and replica')
  t.diagnostic(`${length} entries, cut at checkpoints ${cuts.join(', ')}, checkpoints written ${writes.join(' → ')}; ${time}; ${Date.now() - started} ms`)
})

test('the executor is SIGKILLed and restarted while participants write: every op is processed once, in order', async (t) => {
  const started = Date.now()
  const time = phases()
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('E')
  const [p1, p2] = await Promise.all([net.participant(exec, 'P1'), net.participant(exec, 'P2')])
  const monitor = net.monitor(exec.key, 'M')
  await monitor.waitForLine((l) => typeof l.verified === 'number', 'the monitor verified once')
  time.mark('setup')

  // P1 waits for each ack (its calls block while the executor is down); P2 only publishes, fast
  // enough that the executor is busy when it is killed.
  const waiting = new Writer(net, p1, { workers: 2, wait: true, prefix: 'w', via: 'socket', pauseMs: 20 })
  const publishing = new Writer(net, p2, { workers: 2, wait: false, prefix: 'n', via: 'socket', pauseMs: 5 })
  await waiting.reached(12, 'P1 has ops processed')
  await publishing.reached(12, 'P2 has ops published')
  time.mark('writes')

  assert.equal(await exec.serve.kill('SIGKILL'), 'SIGKILL')
  const killedAt = Date.now()
  const publishedAtKill = publishing.done.length
  await publishing.reached(publishedAtKill + 6, 'P2 publishes while the executor is down')
  // Down until a waiting call is blocked behind it (P2's six calls outlast any reply in transit).
  await waiting.blocked('a P1 call waits on the executor that is down')
  const waitedAtRestart = waiting.done.length
  await net.restart(exec)
  const restartedAt = Date.now()
  time.mark('down')
  await waiting.reached(waitedAtRestart + 6, 'P1 calls are processed after the restart')
  // Calls in flight at the kill (their ops published, their acks not yet) waited through the restart.
  const blocked = waiting.spans.filter((s) => s.start < restartedAt && s.end > restartedAt).length
  assert.ok(blocked > 0, 'waiting calls in flight while the executor was down returned after the restart')
  await Promise.all([waiting.stop(), publishing.stop()])
  assert.equal(waiting.failed, 0, `no waiting call failed: ${waiting.errors.join('; ')}`)
  assert.equal(publishing.failed, 0, `no publishing call failed: ${publishing.errors.join('; ')}`)
  assert.ok(waiting.done.every((c) => c.ops[0].outcome?.success === true), 'every waited put succeeded')

  time.mark('writes stopped')
  const len1 = await net.oplogLength(p1.dir)
  const len2 = await net.oplogLength(p2.dir)
  assert.equal(len1, waiting.done.length, 'P1: one op per call')
  assert.equal(len2, publishing.done.length, 'P2: one op per call')
  const lengths = new Map([
    [p1.pubkey, len1],
    [p2.pubkey, len2],
  ])
  const acks = await acksCovering(net, exec.dir, lengths, 'the restarted executor processes every op')
  assertProcessedOnce(acks, p1.pubkey, len1, 'P1')
  assertProcessedOnce(acks, p2.pubkey, len2, 'P2')
  assertProcessedOnce(acks, exec.admin, 3, 'the admin')
  assert.deepEqual(acks.failed, [])
  assertOutcomesMatch(acks, waiting, 'P1')
  await assertSameOps(net, exec.dir, p1, [waiting])
  await assertSameOps(net, exec.dir, p2, [publishing])

  time.mark('processed')
  await monitorConverges(monitor, acks.length)
  assert.equal((await net.verifyLocal(exec.dir)).verified, acks.length)
  const fresh = await net.json<VerifyReport>(['verify', exec.key, '--bootstrap', net.bootstrap])
  assert.equal(fresh.valid, true, JSON.stringify(fresh.breach))
  assert.equal(fresh.verified, acks.length)
  time.mark('verify')
  t.diagnostic(`P1 ${len1} waited ops, P2 ${len2} published ops (${publishing.done.length - publishedAtKill} from the kill on), ${blocked} waiting calls blocked while the executor was down ${restartedAt - killedAt} ms; ${time}; ${Date.now() - started} ms`)
})

test("a participant's server is SIGKILLed right after publishing or mid-call: all its ops are processed once after it restarts", async (t) => {
  const started = Date.now()
  const time = phases()
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('E')
  const p1 = await net.participant(exec, 'P1')
  const monitor = net.monitor(exec.key, 'M')
  time.mark('setup')

  // 1. A burst of large ops, and the cut as soon as the last call returns: the executor may be
  // fetching them still (how many it had is in the diagnostic).
  const big = 'x'.repeat(48 * 1024)
  const burst = new Writer(net, p1, { workers: 8, wait: false, prefix: 'a', max: 16, value: (n) => `${n}${big}` })
  await burst.finished()
  assert.equal(await p1.serve.kill('SIGKILL'), 'SIGKILL')
  assert.equal(burst.failed, 0)
  const hadAtCut = (await net.acks(exec.dir)).seqs.get(p1.pubkey)?.length ?? 0
  await net.restart(p1)
  let acks = await acksCovering(net, exec.dir, new Map([[p1.pubkey, 16]]), 'the executor processes the burst')
  assert.equal(await net.oplogLength(p1.dir), 16, 'every published op survived the kill')
  assertProcessedOnce(acks, p1.pubkey, 16, 'P1 after the first cut')
  time.mark('cut after publishing')

  // 2. A cut while calls are in flight: those may fail, or find no server and publish by themselves.
  const stream = new Writer(net, p1, { workers: 4, wait: false, prefix: 'b' })
  await stream.reached(6, 'P1 publishes again')
  assert.equal(await p1.serve.kill('SIGKILL'), 'SIGKILL')
  await stream.stop()
  await net.restart(p1)
  const length = await net.oplogLength(p1.dir)
  assert.ok(length >= 16 + stream.done.length, `the oplog (${length}) holds every op a call reported published (${16 + stream.done.length})`)

  // After the cuts, a call that waits still goes through, at the next seq.
  const last = await net.put(p1.dir, 'last', 0, { wait: true })
  assert.ok(last, 'a waiting call after the restart succeeds')
  assert.equal(last.ops[0].seq, length)
  assert.equal(last.ops[0].outcome?.success, true)
  acks = await acksCovering(net, exec.dir, new Map([[p1.pubkey, length + 1]]), 'the executor processes every op of P1')
  assertProcessedOnce(acks, p1.pubkey, length + 1, 'P1 after the second cut')
  assert.equal(acks.at.get(`${p1.pubkey}/${length}`), last.ops[0].outcome?.index)
  assert.deepEqual(acks.failed, [])
  await assertSameOps(net, exec.dir, p1, [burst, stream])
  time.mark('cut mid-call')

  await monitorConverges(monitor, acks.length)
  assert.equal((await net.verifyLocal(exec.dir)).verified, acks.length)
  time.mark('verify')
  t.diagnostic(`after publishing: the executor had ${hadAtCut}/16 ops at the cut; mid-call: ${stream.done.length} published, ${stream.failed} calls failed, oplog ${length}; ${time}; ${Date.now() - started} ms`)
})

test('a participant dies holding ops the executor never fetched: they are processed once after it restarts, and other participants go on meanwhile', async (t) => {
  const started = Date.now()
  const time = phases()
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('E')
  const [p1, p2] = await Promise.all([net.participant(exec, 'P1'), net.participant(exec, 'P2')])
  const monitor = net.monitor(exec.key, 'M')
  const before = new Writer(net, p1, { workers: 2, wait: true, prefix: 'a', max: 4 })
  await before.finished()
  assert.equal(before.failed, 0)
  time.mark('setup')

  // Ops published while the executor is frozen (SIGSTOP), so it cannot have fetched them when the
  // participant dies; thawed, it holds a connection to a peer that is gone.
  exec.serve.pause()
  const frozen = new Writer(net, p1, { workers: 4, wait: false, prefix: 'f', max: 8 })
  try {
    await frozen.finished()
    assert.equal(await p1.serve.kill('SIGKILL'), 'SIGKILL')
  } finally {
    exec.serve.resume()
  }
  assert.equal(frozen.failed, 0)
  assert.equal((await net.acks(exec.dir)).seqs.get(p1.pubkey)?.length ?? 0, 4, 'the frozen executor fetched none of the ops published after its freeze')
  // P1's missing ops do not hold the others back.
  const other = await net.put(p2.dir, 'meanwhile', 1, { wait: true })
  assert.equal(other?.ops[0].outcome?.success, true, 'P2 is served while P1 is down')
  time.mark('cut')

  await net.restart(p1)
  time.mark('restart')
  const acks = await acksCovering(net, exec.dir, new Map([[p1.pubkey, 12]]), 'the executor processes what was published while it was frozen')
  assert.equal(await net.oplogLength(p1.dir), 12)
  assertProcessedOnce(acks, p1.pubkey, 12, 'P1')
  assertProcessedOnce(acks, p2.pubkey, 1, 'P2')
  assert.ok((acks.at.get(`${p2.pubkey}/0`) ?? Infinity) < (acks.at.get(`${p1.pubkey}/4`) ?? -1), "P2's op went before P1's missing ones")
  assert.deepEqual(acks.failed, [])
  assertOutcomesMatch(acks, before, 'P1')
  await assertSameOps(net, exec.dir, p1, [before, frozen])
  time.mark('processed')

  await monitorConverges(monitor, acks.length)
  assert.equal((await net.verifyLocal(exec.dir)).verified, acks.length)
  time.mark('verify')
  t.diagnostic(`${time}; ${Date.now() - started} ms`)
})
