// `npm start`: a short, real run of Glassbox on local disk. It creates a database under the
// multisig public-key registry contract (seed 001 §5.1) with three participants, sends a burst
// of ops (some of which the contract rejects), and prints what happened and the final state.

import { rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleContract, Database, type Json, type OpResult } from '../index.js'

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
    say(`Explore it: npx glassbox history --dir ${path.relative(process.cwd(), dir) || dir}`)
  } finally {
    await db.close()
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`)
  process.exit(1)
})
