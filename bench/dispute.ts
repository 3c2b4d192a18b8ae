// Disputes (`BENCH=dispute`): rounds, transcript size and the judge's time for a dispute over a kv
// history of n entries whose executor lied at the middle op and carried on. Both parties read the
// same local logs: the challenger re-executes the range, the defender reads the roots the executor
// signed. BENCH_DISPUTE_SIZES picks n (default 10^3, 10^4); sizes not played are computed from the
// per-message sizes measured (each round adds one root and one answer of fixed size) and marked so.

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import sodium from 'sodium-native'
import { toHex } from '../src/codec/hash.js'
import { decodeEntry } from '../src/codec/messages.js'
import { carryLie } from '../src/demo/dishonest.js'
import { disputeBounds } from '../src/dispute/bounds.js'
import { roundsFor } from '../src/dispute/messages.js'
import { LocalParty } from '../src/dispute/party.js'
import { referee } from '../src/dispute/referee.js'
import { ReplayedRoots, SignedRoots } from '../src/dispute/roots.js'
import { judgeDispute } from '../src/dispute/transcript.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { openLogs } from '../src/verify/verify-dir.js'
import { progress, unprocessedHistory, withDir } from './history.js'

interface Row {
  entries: number
  played: boolean
  rounds: number
  bound: number
  messages: number
  bytes: number
  stepBytes: number
  gameSeconds: number
  judgeMs: number
}

function keyPair(): Uint8Array {
  const pk = Buffer.alloc(32)
  const sk = Buffer.alloc(64)
  sodium.crypto_sign_keypair(pk, sk)
  return new Uint8Array(sk)
}

async function play(contract: string, n: number): Promise<Row & { perRound: number; fixed: number }> {
  return withDir(async (dir) => {
    await unprocessedHistory(dir, contract, n)
    progress(`bench: dispute, ${n} ops: executing…`)
    const db = await Database.load(dir)
    await db.settled()
    await db.close()
    // The executor lies at the op entry nearest the middle and carries on from the state it made.
    const writable = new LogStore(dir)
    await writable.ready()
    const index = await writable.localIndex()
    let p = Math.floor(index.length / 2)
    while (decodeEntry((await index.get(p))!).type !== 'op') p++
    await carryLie(index, p, (e) => [...e.changes, { type: 'put', key: '/forged', value: true }])
    await writable.close()

    const { store, logs: replay } = await openLogs(dir)
    try {
      const bounds = await disputeBounds(replay)
      const challenger = new LocalParty(keyPair(), (open) => new ReplayedRoots(replay, open.from))
      const defender = new LocalParty(keyPair(), () => new SignedRoots(replay))
      const toRoot = await new SignedRoots(replay).rootAt(bounds.anchorLength)
      progress(`bench: dispute, ${n} ops: playing over ${bounds.anchorLength - bounds.genesisLength} entries…`)
      const started = performance.now()
      const open = await challenger.challenge({ database: toHex(index.key), anchor: bounds.anchor, from: bounds.genesisLength, to: bounds.anchorLength, toRoot, defender: defender.key, deadline: 600_000 })
      const transcript = await referee(open, defender, challenger)
      const gameSeconds = (performance.now() - started) / 1000
      const text = JSON.stringify(transcript)
      const judged = performance.now()
      const verdict = await judgeDispute(JSON.parse(text))
      const judgeMs = performance.now() - judged
      if (verdict.verdict !== 'decided' || verdict.wrong !== 'defender' || verdict.at !== p) throw new Error(`the dispute did not find entry ${p}: ${JSON.stringify(verdict)}`)
      const size = (x: unknown) => Buffer.byteLength(JSON.stringify(x))
      const rounds = transcript.messages.filter((m) => m.type === 'root')
      const perRound = rounds.length > 0 ? (size(rounds[0]) + size(transcript.messages[2])) : 0
      const stepBytes = size(transcript.step)
      return {
        entries: bounds.anchorLength - bounds.genesisLength,
        played: true,
        rounds: verdict.rounds,
        bound: verdict.bound,
        messages: transcript.messages.length,
        bytes: Buffer.byteLength(text),
        stepBytes,
        gameSeconds,
        judgeMs,
        perRound,
        fixed: Buffer.byteLength(text) - perRound * (verdict.rounds - 1),
      }
    } finally {
      await store.close()
    }
  })
}

export async function runDisputeBench(): Promise<void> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const sizes = (process.env.BENCH_DISPUTE_SIZES ?? '1000,10000').split(',').map(Number)
  const rows: Row[] = []
  let last: (Row & { perRound: number; fixed: number }) | null = null
  for (const n of sizes) {
    last = await play(contract, n)
    rows.push(last)
  }
  // Larger ranges: the same messages, more rounds (the step's inclusion proofs grow by a hash or two).
  for (const n of [1e3, 1e4, 1e5, 1e6]) {
    if (!last || rows.some((r) => Math.abs(Math.log10(r.entries) - Math.log10(n)) < 0.05)) continue
    const { bisection, bound } = roundsFor(n)
    rows.push({ entries: n, played: false, rounds: bisection + 1, bound, messages: 1 + 2 * bisection + 2, bytes: last.fixed + last.perRound * bisection, stepBytes: last.stepBytes, gameSeconds: NaN, judgeMs: NaN })
  }
  rows.sort((a, b) => a.entries - b.entries)
  console.log('disputes: a kv history whose executor lied at the middle op; the challenger re-executes, the defender')
  console.log('stands by the signed roots; the judge checks the whole transcript alone (signatures, bisection, one step)')
  console.log('   entries  rounds  bound  messages  transcript  of it: step   game (s)  judge (ms)')
  for (const r of rows) {
    const cell = (x: number, w: number, d = 0) => (Number.isNaN(x) ? 'computed'.padStart(w) : x.toFixed(d).padStart(w))
    console.log(`${String(r.entries).padStart(10)} ${String(r.rounds).padStart(7)} ${String(r.bound).padStart(6)} ${String(r.messages).padStart(9)} ${`${(r.bytes / 1024).toFixed(1)} KiB`.padStart(11)} ${`${(r.stepBytes / 1024).toFixed(1)} KiB`.padStart(12)} ${cell(r.gameSeconds, 10, 1)} ${cell(r.judgeMs, 11)}`)
  }
  console.log('computed rows: the sizes measured at the largest size played, with one root and one answer per extra round')
}
