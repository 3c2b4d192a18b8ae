// The crash scenario: kill the executor process at spread-out instants, restart it, and check that
// every op was processed exactly once, in order, and that no block it had reported durable was lost
// or rewritten. `npm test` runs a short version (test/crash.test.ts), `npm run test:long` the long one.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Database } from '../../src/index.js'

const CONTRACT = `
import assert from 'assert'
import { index } from 'contract'
export function add ({ n }, emit) { emit({ op: 'ADD', n }) }
export const apply = {
  async ADD (tx, op, ack) {
    assert(Number.isInteger(op.n), 'n must be an integer')
    const sum = await index.get('/sum/' + ack.origin)
    const last = await index.get('/last/' + ack.origin)
    // Ops of one oplog must arrive in order: each carries its own seq as n.
    assert.equal(op.n, last ? last.value + 1 : 0, 'out of order')
    tx.put('/sum/' + ack.origin, (sum ? sum.value : 0) + op.n)
    tx.put('/last/' + ack.origin, op.n)
  }
}
`

const FIXTURE = path.join(process.cwd(), 'dist', 'test', 'fixtures', 'run-executor.js')

interface RunOutcome {
  done: boolean
  blocks: { length: number; hash: string }[]
}

/** When to kill: after the child reported `afterBlocks` durable blocks, plus `delayMs`; null lets it finish. */
type KillPlan = { afterBlocks: number; delayMs: number } | null

function runExecutor(dir: string, total: number, kill: KillPlan): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, dir, String(total)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const outcome: RunOutcome = { done: false, blocks: [] }
    let timer: NodeJS.Timeout | null = null
    const armKill = () => {
      if (kill && !timer) timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs)
    }
    // Zero blocks: the kill lands during start-up, at a random instant after spawning.
    if (kill?.afterBlocks === 0) armKill()
    let buffered = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      buffered += chunk
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const [word, length, hash] = line.split(' ')
        if (word === 'block') outcome.blocks.push({ length: Number(length), hash })
        if (word === 'block' && kill && outcome.blocks.length >= kill.afterBlocks) armKill()
        if (word === 'done') outcome.done = true
      }
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer)
      if (signal !== 'SIGKILL' && code !== 0) return reject(new Error(`executor exited ${code}: ${stderr}`))
      resolve(outcome)
    })
  })
}

export interface CrashScenario {
  /** Ops each of the three writers publishes before the executor starts. */
  perWriter: number
  /** Rounds that end in a kill; later rounds run to completion. */
  killRounds: number
  /** At least this many kills must land after blocks were written. */
  minKilledMidway: number
}

export async function runCrashScenario({ perWriter, killRounds, minKilledMidway }: CrashScenario): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-crash-'))
  try {
    const writers = ['a', 'b', 'c']
    const db = await Database.create(dir, { contract: CONTRACT, oplogs: writers })
    await db.close()
    // Write every op with the executor off, so the kills land while it works through them.
    const offline = await Database.load(dir, { execute: false })
    for (let n = 0; n < perWriter; n++) for (const as of writers) await offline.call('add', { n }, { as })
    const keys = offline.oplogs
    await offline.close()

    const total = writers.length * perWriter
    const reported: { length: number; hash: string }[] = []
    let kills = 0
    let killedMidway = 0
    let done = false
    for (let round = 0; round < killRounds + 20 && !done; round++) {
      // A deterministic spread of kill points: during start-up, and 1 to 3 blocks in at 0-20 ms offsets
      // (mid-block, during an append, between blocks). The last rounds run to completion.
      const plan: KillPlan = round < killRounds ? { afterBlocks: round % 4, delayMs: round % 4 === 0 ? 100 + ((round * 53) % 500) : (round * 7) % 21 } : null
      const outcome = await runExecutor(dir, total, plan)
      reported.push(...outcome.blocks)
      done = outcome.done
      if (!done) kills++
      if (!done && outcome.blocks.length > 0) killedMidway++
    }
    assert.ok(done, 'the executor finished within the allowed restarts')
    assert.ok(kills >= 3, `the executor was killed several times (was ${kills})`)
    assert.ok(killedMidway >= minKilledMidway, `some kills landed after blocks were written (was ${killedMidway} of ${kills})`)
    process.stderr.write(`crash test: ${kills} kills, ${killedMidway} after progress, ${reported.length} blocks reported\n`)

    const after = await Database.load(dir, { execute: false })
    try {
      for (const { length, hash } of reported) {
        assert.equal(await after.indexHash(length), hash, `the block reported at length ${length} is unchanged`)
      }
      const seen = new Map<string, number[]>()
      for (const item of await after.history()) {
        if (item.log !== 'index' || item.entry.type !== 'op') continue
        const { origin, seq, success, error } = item.entry.ack
        assert.ok(success, `op ${origin.slice(0, 8)}/${seq} succeeded (${error})`)
        seen.set(origin, [...(seen.get(origin) ?? []), seq])
      }
      for (const as of writers) {
        const seqs = seen.get(keys[as]) ?? []
        assert.deepEqual(seqs, [...Array(perWriter).keys()], `oplog ${as}: each op once, in order`)
        const expectedSum = (perWriter * (perWriter - 1)) / 2
        assert.equal(after.get('/sum/' + keys[as])?.value, expectedSum)
      }
    } finally {
      await after.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
