// `BENCH=confidential`: what sealing costs. The same kv-store history (n puts, appended to the writer
// oplog before the executor starts) is executed and then verified twice in the same run, once in the
// clear and once as a confidential database, whose ops are sealed by the writer and whose entries are
// sealed by the executor and opened by the verifier. Printed: ops/s of each, and confidential / clear.

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { encodeOp } from '../src/codec/messages.js'
import { directoryIdentities, openConfidential } from '../src/confidential/open.js'
import { sealOp } from '../src/confidential/op-envelope.js'
import { Database } from '../src/index.js'
import { readManifest } from '../src/log/manifest.js'
import { LogStore } from '../src/log/store.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
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

async function run(contract: string, n: number, confidential: boolean): Promise<{ executor: number; verify: number }> {
  return withDir(async (dir) => {
    await history(dir, contract, n, confidential)
    let start = performance.now()
    const db = await Database.load(dir)
    await db.settled()
    const executor = n / ((performance.now() - start) / 1000)
    await db.close()
    start = performance.now()
    const report = await verifyDirectory(dir)
    if (!report.valid || report.ops !== n) throw new Error(`the ${confidential ? 'confidential' : 'clear'} history did not verify: ${JSON.stringify(report.breach)}`)
    return { executor, verify: n / ((performance.now() - start) / 1000) }
  })
}

export async function runConfidentialBench(): Promise<void> {
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  console.log('Confidential databases: sealing cost on the executor and on verify (kv-store puts, same run, best of runs)')
  console.log('| ops | executor clear | executor confidential | ratio | verify clear | verify confidential | ratio |')
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const n of SIZES) {
    const best = { clear: { executor: 0, verify: 0 }, confidential: { executor: 0, verify: 0 } }
    for (let r = 0; r < RUNS; r++) {
      // Alternating which goes first, so a busy machine weighs on both alike.
      for (const confidential of r % 2 === 0 ? [false, true] : [true, false]) {
        progress(`bench: confidential, ${n} ops, ${confidential ? 'confidential' : 'clear'} (run ${r + 1} of ${RUNS})…`)
        const got = await run(contract, n, confidential)
        const b = confidential ? best.confidential : best.clear
        b.executor = Math.max(b.executor, got.executor)
        b.verify = Math.max(b.verify, got.verify)
      }
    }
    const f = (x: number) => Math.round(x).toLocaleString('en-US')
    const ratio = (a: number, b: number) => (a / b).toFixed(2)
    console.log(`| ${n.toLocaleString('en-US')} | ${f(best.clear.executor)} | ${f(best.confidential.executor)} | ${ratio(best.confidential.executor, best.clear.executor)} | ${f(best.clear.verify)} | ${f(best.confidential.verify)} | ${ratio(best.confidential.verify, best.clear.verify)} |`)
  }
}
