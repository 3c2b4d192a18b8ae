// `npm start`: a short, real run of Glassbox on local disk. It creates a database under the
// multisig public-key registry contract (seed 001 §5.1) with three participants, sends a burst
// of ops (some of which the contract rejects), and prints what happened and the final state.

import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeEntry, encodeEntry, type OpEntry } from '../codec/messages.js'
import { bundleContract, Database, type Json, type OpResult } from '../index.js'
import { LogStore } from '../log/store.js'
import { describeBreach } from '../verify/breach.js'
import { proofFileName } from '../verify/fraud-proof.js'
import { judgeText } from '../verify/judge.js'
import { verifyDirectory } from '../verify/verify-dir.js'
import { rewriteSealed } from './dishonest.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const dir = path.resolve(process.env.GLASSBOX_DEMO_DIR ?? '.glassbox-demo')

const say = (line = '') => process.stdout.write(line + '\n')
const short = (hex: string) => hex.slice(0, 8) + '…'

function outcome(r: OpResult): string {
  return r.success ? `ok (index #${r.index})` : `REJECTED (index #${r.index}): ${r.error}`
}

async function step(db: Database, who: string, method: string, params: Json): Promise<void> {
  const call = await db.call(method, params, { as: who })
  const results = await call.whenProcessed()
  const args = JSON.stringify(params)
  if (results.length === 0) say(`  ${who.padEnd(6)} ${method}(${args}) -> ${JSON.stringify(call.response)}`)
  for (const r of results) say(`  ${who.padEnd(6)} ${method}(${args}) -> ${outcome(r)}`)
}

async function main(): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  const contract = await bundleContract(path.join(root, 'examples', 'multisig-registry.js'))
  say(`Glassbox demo: a multisig public-key registry in ${path.relative(process.cwd(), dir) || dir}`)
  const db = await Database.create(dir, { contract, oplogs: ['alice', 'bob', 'carol'] })
  try {
    say(`database key ${db.key}`)
    for (const [name, key] of Object.entries(db.oplogs)) say(`  participant ${name.padEnd(6)} oplog ${short(key)}`)
    say()
    say('Transcript (each op is acknowledged in the signed index log):')
    await step(db, 'alice', 'put', { username: 'alice', publicKey: 'ed25519:AAA1' })
    await step(db, 'alice', 'verify', { username: 'alice', publicKey: 'ed25519:AAA1' })
    await step(db, 'bob', 'verify', { username: 'alice', publicKey: 'ed25519:AAA1' })
    await step(db, 'carol', 'put', { username: 'carol', publicKey: 'ed25519:CCC1' })
    await step(db, 'bob', 'verify', { username: 'carol', publicKey: 'ed25519:WRONG' })
    await step(db, 'alice', 'verify', { username: 'carol', publicKey: 'ed25519:CCC1' })
    await step(db, 'bob', 'put', { username: 'alice', publicKey: 'ed25519:EVIL' })
    await step(db, 'bob', 'verify', { username: 'alice', publicKey: 'ed25519:EVIL' })
    await step(db, 'carol', 'get', { username: 'alice' })
    say()
    say('Final state:')
    for (const e of db.list('/')) say(`  ${e.key} = ${JSON.stringify(e.value)}`)
    const head = await db.head()
    say()
    say(`Index log: ${head.length} entries, tree hash ${short(head.hash)}; anyone holding the logs can replay them.`)
  } finally {
    await db.close()
  }
  say()
  say('A monitor replays the logs against the contract:')
  const honest = await verifyDirectory(dir)
  say(`  ${honest.valid ? 'valid' : 'BREACH'}: ${honest.verified} of ${honest.length} entries verified`)
  const tampered = `${dir}-tampered`
  const seq = await tamper(dir, tampered)
  say()
  say(`Now a dishonest executor rewrites entry #${seq} of a copy (alice's key becomes ed25519:EVIL) and re-signs the log:`)
  const caught = await verifyDirectory(tampered, { fraudProof: true })
  say(caught.breach ? `  ${describeBreach(caught.breach)}` : '  (not caught: this is a bug)')
  if (caught.breach) {
    say(`  expected ${JSON.stringify(caught.breach.expected)}`)
    say(`  found    ${JSON.stringify(caught.breach.found)}`)
  }
  const built = caught.fraudProof
  if (built?.proof) {
    const file = path.join(tampered, 'fraud-proofs', proofFileName(built.proof))
    const text = JSON.stringify(built.proof, null, 2) + '\n'
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, text)
    say()
    say(`The monitor wrote a fraud proof: ${path.relative(process.cwd(), file) || file} (${Buffer.byteLength(text)} bytes).`)
    say('A judge holding only that file (no logs, no database) re-executes the one op:')
    const started = performance.now()
    const verdict = await judgeText(text)
    const ms = (performance.now() - started).toFixed(1)
    say(verdict.verdict === 'proven' ? `  breach proven: ${verdict.class} at index #${verdict.seq} (judged in ${ms} ms)` : `  ${verdict.verdict}: ${verdict.reason}`)
  } else if (built) {
    say(`  no fraud proof: ${built.reason}`)
  }
  say()
  say(`Explore: npx glassbox history --dir ${path.relative(process.cwd(), dir) || dir}`)
  say(`         npx glassbox verify --dir ${path.relative(process.cwd(), tampered) || tampered}`)
  if (built?.proof) say(`         npx glassbox judge ${path.relative(process.cwd(), path.join(tampered, 'fraud-proofs', proofFileName(built.proof)))}`)
}

/**
 * Copies the database and, with the executor's own key, rewrites the entry that made alice's key
 * active so that it writes another key, and signs the seals after it again: a validly signed log
 * that breaks the contract, as a dishonest executor would publish it.
 */
async function tamper(from: string, to: string): Promise<number> {
  await rm(to, { recursive: true, force: true })
  await cp(from, to, { recursive: true })
  const logs = new LogStore(to, { copied: true })
  await logs.ready()
  try {
    const index = await logs.localIndex()
    let target = -1
    for (let i = 0; i < index.length && target < 0; i++) {
      const e = decodeEntry((await index.get(i))!)
      if (e.type === 'op' && e.changes.some((c) => c.key === '/keys/alice')) target = i
    }
    const rest: Buffer[] = []
    for (let i = target; i < index.length; i++) rest.push((await index.get(i))!)
    const forged = decodeEntry(rest[0]) as OpEntry
    forged.changes = forged.changes.map((c) =>
      c.key === '/keys/alice' && c.type === 'put' ? { ...c, value: { ...(c.value as object), publicKey: 'ed25519:EVIL' } } : c,
    )
    rest[0] = Buffer.from(encodeEntry(forged))
    await rewriteSealed(index, target, rest)
    return target
  } finally {
    await logs.close()
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`)
  process.exit(1)
})
