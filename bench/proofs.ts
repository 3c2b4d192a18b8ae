// Proofs for third parties at 10^3..10^6 index entries: the size of a state read's proof and of a
// transaction receipt, and how long checking each takes with nothing but the file and the key
// (parse + checkProof). Both should grow with the logarithm of the history, not with it.
//
// With a fraud hook (bench/fraud-proofs.ts), it then tampers the database's last op and measures the
// fraud proof and the judge. Run alone with BENCH=proofs (BENCH_PROOF_SIZES=1000,10000 to pick sizes).

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { encodeOp } from '../src/codec/messages.js'
import { LogStore } from '../src/log/store.js'
import { checkProof, Database } from '../src/index.js'

export interface ProofBenchRow {
  entries: number
  stateBytes: number
  stateVerifyUs: number
  receiptBytes: number
  receiptVerifyUs: number
  /** Filled by an optional hook: a fraud proof's size and the judge's time. */
  fraudBytes?: number
  judgeMs?: number
}

const STATE_SAMPLES = 100
const RECEIPT_SAMPLES = 20
const progress = (msg: string) => process.stderr.write(msg + '\n')

/** Builds and judges a fraud proof for the (closed) database directory just measured. */
export type FraudHook = (dir: string) => Promise<{ bytes: number; judgeMs: number }>

export async function runProofBench(sizes: number[], fraud?: FraudHook): Promise<ProofBenchRow[]> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const rows: ProofBenchRow[] = []
  for (const n of sizes) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-proofs-'))
    try {
      progress(`bench: proofs, ${n} ops…`)
      rows.push(await measure(dir, contract, n, fraud))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
  print(rows)
  return rows
}

async function measure(dir: string, contract: string, n: number, fraud?: FraudHook): Promise<ProofBenchRow> {
  const created = await Database.create(dir, { contract, oplogs: ['writer'] })
  const origin = created.oplogs.writer
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
  let row: ProofBenchRow
  try {
    await db.settled()
    const pick = spread(n)
    let stateBytes = 0
    let stateUs = 0
    for (let i = 0; i < STATE_SAMPLES; i++) {
      const read = await db.get(`/values/k${pick()}`, { proof: true })
      const text = JSON.stringify(read.proof)
      stateBytes += text.length
      stateUs += timeUs(() => {
        if (!checkProof(JSON.parse(text), { key: db.key }).valid) throw new Error('a state proof did not verify')
      })
    }
    let receiptBytes = 0
    let receiptUs = 0
    for (let i = 0; i < RECEIPT_SAMPLES; i++) {
      const text = JSON.stringify(await db.receipt([{ origin, seq: pick(), op: null }]))
      receiptBytes += text.length
      receiptUs += timeUs(() => {
        if (!checkProof(JSON.parse(text), { key: db.key }).valid) throw new Error('a receipt did not verify')
      })
    }
    row = {
      entries: db.length,
      stateBytes: stateBytes / STATE_SAMPLES,
      stateVerifyUs: stateUs / STATE_SAMPLES,
      receiptBytes: receiptBytes / RECEIPT_SAMPLES,
      receiptVerifyUs: receiptUs / RECEIPT_SAMPLES,
    }
  } finally {
    await db.close()
  }
  if (fraud) {
    const f = await fraud(dir)
    row.fraudBytes = f.bytes
    row.judgeMs = f.judgeMs
  }
  return row
}

function timeUs(fn: () => void): number {
  const start = performance.now()
  fn()
  return (performance.now() - start) * 1000
}

/** Deterministic picks spread over 0..n-1. */
function spread(n: number): () => number {
  let s = 0x9e3779b9
  return () => {
    s = (Math.imul(s ^ (s >>> 16), 0x45d9f3b) + 0x1234567) >>> 0
    return s % n
  }
}

function print(rows: ProofBenchRow[]): void {
  const kb = (b: number | undefined) => (b === undefined ? '-' : (b / 1024).toFixed(1))
  const num = (x: number | undefined, d = 0) => (x === undefined ? '-' : x.toFixed(d))
  console.log('proofs a third party checks offline (mean JSON size, and parse + check time):')
  console.log('   entries  state KB  state µs  receipt KB  receipt µs  fraud KB  judge ms')
  for (const r of rows) {
    console.log(
      `${String(r.entries).padStart(10)} ${kb(r.stateBytes).padStart(9)} ${num(r.stateVerifyUs).padStart(9)} ${kb(r.receiptBytes).padStart(11)} ${num(r.receiptVerifyUs).padStart(11)} ${kb(r.fraudBytes).padStart(9)} ${num(r.judgeMs, 1).padStart(9)}`,
    )
  }
}
