// `BENCH=confidential`: what sealing costs. The same kv-store history (n puts, appended to the writer
// oplog before the executor starts) is executed and then verified twice in the same run, once in the
// clear and once as a confidential database, whose ops are sealed by the writer and whose entries are
// sealed by the executor and opened by the verifier. Printed: ops/s of each, and confidential / clear;
// then the state checkpoint of each (n keys) written and opened again from its files, the
// confidential one sealed (docs/protocol.md §17.8).

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { encodeOp } from '../src/codec/messages.js'
import { directoryIdentities, openConfidential } from '../src/confidential/open.js'
import { sealOp } from '../src/confidential/op-envelope.js'
import { Database } from '../src/index.js'
import { readManifest } from '../src/log/manifest.js'
import { LogStore } from '../src/log/store.js'
import { openLogs, verifyDirectory } from '../src/verify/verify-dir.js'
import { toHex } from '../src/codec/hash.js'
import { readChunk, readManifest as readCheckpointManifest } from '../src/state/checkpoint/checkpoint-files.js'
import { openStateCheckpoint } from '../src/state/checkpoint/state-checkpoint.js'
import { opFor, progress, withDir } from './history.js'

const SIZES = (process.env.BENCH_CONFIDENTIAL_SIZES ?? '10000,50000').split(',').map(Number)
const RUNS = Number(process.env.BENCH_RUNS ?? 2)

/** A kv-store database in `dir` whose writer oplog holds n puts (sealed, when confidential), none processed. */
async function history(dir: string, contract: string, n: number, confidential: boolean): Promise<void> {
  await (await Database.create(dir, { contract, oplogs: ['writer'], ...(confidential ? { confidential: {} } : {}) })).close()
  const logs = new LogStore(dir)
  await logs.ready()
  try {
    const manifest = (await readManifest(dir))!
    const index = await logs.byPubkey(manifest.key)
    const c = confidential ? await openConfidential(logs, index, await directoryIdentities(logs, index, ['writer'])) : null
    const oplog = await logs.localOplog('writer')
    for (let i = 0; i < n; i += 1000) {
      const batch: Buffer[] = []
      for (let j = i; j < Math.min(n, i + 1000); j++) {
        const op = Buffer.from(encodeOp(opFor(j)))
        batch.push(c ? await sealOp(c.keyring, oplog.key, op) : op)
      }
      await oplog.append(batch)
    }
  } finally {
    await logs.close()
  }
}

interface Measured {
  executor: number
  verify: number
  /** Milliseconds to take and write the state checkpoint, and to open and check it from its files. */
  writeMs: number
  openMs: number
}

async function run(contract: string, n: number, confidential: boolean): Promise<Measured> {
  return withDir(async (dir) => {
    await history(dir, contract, n, confidential)
    let start = performance.now()
    const db = await Database.load(dir)
    await db.settled()
    const executor = n / ((performance.now() - start) / 1000)
    start = performance.now()
    const { manifest } = await db.writeStateCheckpoint()
    const writeMs = performance.now() - start
    await db.close()
    start = performance.now()
    const report = await verifyDirectory(dir)
    if (!report.valid || report.ops !== n) throw new Error(`the ${confidential ? 'confidential' : 'clear'} history did not verify: ${JSON.stringify(report.breach)}`)
    const verify = n / ((performance.now() - start) / 1000)
    const { store, logs } = await openLogs(dir)
    try {
      start = performance.now()
      const length = manifest.length
      const opened = await openStateCheckpoint(await readCheckpointManifest(dir, length), toHex(logs.index.key), (i) => readChunk(dir, length, i), logs.keyring ? { keys: logs.keyring } : {})
      const openMs = performance.now() - start
      if (opened.manifest.keys !== manifest.keys) throw new Error('the checkpoint opened to another state')
      return { executor, verify, writeMs, openMs }
    } finally {
      await store.close()
    }
  })
}

export async function runConfidentialBench(): Promise<void> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  console.log('Confidential databases: sealing cost on the executor and on verify (kv-store puts, same run, best of runs)')
  console.log('| ops | executor clear | executor confidential | ratio | verify clear | verify confidential | ratio |')
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  const checkpoints: string[] = []
  for (const n of SIZES) {
    const best = { clear: { executor: 0, verify: 0, writeMs: Infinity, openMs: Infinity }, confidential: { executor: 0, verify: 0, writeMs: Infinity, openMs: Infinity } }
    for (let r = 0; r < RUNS; r++) {
      // Alternating which goes first, so a busy machine weighs on both alike.
      for (const confidential of r % 2 === 0 ? [false, true] : [true, false]) {
        progress(`bench: confidential, ${n} ops, ${confidential ? 'confidential' : 'clear'} (run ${r + 1} of ${RUNS})…`)
        const got = await run(contract, n, confidential)
        const b = confidential ? best.confidential : best.clear
        b.executor = Math.max(b.executor, got.executor)
        b.verify = Math.max(b.verify, got.verify)
        b.writeMs = Math.min(b.writeMs, got.writeMs)
        b.openMs = Math.min(b.openMs, got.openMs)
      }
    }
    const f = (x: number) => Math.round(x).toLocaleString('en-US')
    const ratio = (a: number, b: number) => (a / b).toFixed(2)
    console.log(`| ${n.toLocaleString('en-US')} | ${f(best.clear.executor)} | ${f(best.confidential.executor)} | ${ratio(best.confidential.executor, best.clear.executor)} | ${f(best.clear.verify)} | ${f(best.confidential.verify)} | ${ratio(best.confidential.verify, best.clear.verify)} |`)
    checkpoints.push(`| ${n.toLocaleString('en-US')} | ${f(best.clear.writeMs)} | ${f(best.confidential.writeMs)} | ${ratio(best.confidential.writeMs, best.clear.writeMs)} | ${f(best.clear.openMs)} | ${f(best.confidential.openMs)} | ${ratio(best.confidential.openMs, best.clear.openMs)} |`)
  }
  console.log('')
  console.log('State checkpoint of that state, written and then opened and checked from its files (ms, best of runs; confidential: sealed)')
  console.log('| keys | write clear | write sealed | ratio | open clear | open sealed | ratio |')
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const row of checkpoints) console.log(row)
}
