// `glassbox get --proof`, `glassbox call --receipt` and `glassbox proof verify` as a person runs
// them: directly and through a running serve, exit codes 0/1/2, one-line reasons.

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { Database } from '../src/index.js'
import { glassbox, startServer } from './helpers/cli.js'
import { tempDir } from './helpers/databases.js'

const COUNTER = `import { index } from 'contract'
export function increment (_p, emit) { emit({ op: 'INCREMENT' }) }
export const apply = { async INCREMENT (tx) { const e = await tx.get('/counter'); tx.put('/counter', (e ? e.value : 0) + 1) } }
`

/**
 * Makes a counter database in `cwd`, then writes r.json (`call --receipt`), p.json (`get --proof`)
 * and absent.json (`get --proof` of a missing key) there with the CLI, directly or through a
 * running serve. `init` runs through the CLI in the direct variant; the serve variant is about
 * calls and reads through serve, so it makes the database in-process.
 */
async function proofFiles(cwd: string, via: 'direct' | 'serve', t?: TestContext): Promise<string> {
  await writeFile(path.join(cwd, 'counter.js'), COUNTER)
  const dir = path.join(cwd, 'db')
  let key: string
  if (via === 'direct') {
    const init = await glassbox(['init', 'counter.js', '--dir', dir, '--json'], cwd)
    assert.equal(init.code, 0, init.stderr)
    key = JSON.parse(init.stdout).key
  } else {
    const db = await Database.create(dir, { contract: COUNTER, oplogs: ['main'] })
    key = db.key
    await db.close()
    assert.ok(t, 'the serve variant runs in a test, which stops the server after')
    const server = await startServer(dir, cwd)
    t.after(async () => {
      server.child.kill('SIGTERM')
      await server.exited
    })
  }
  const call = await glassbox(['call', 'increment', '--dir', dir, '--receipt', 'r.json'], cwd)
  assert.equal(call.code, 0, call.stderr)
  assert.match(call.stdout, /receipt written to r\.json/)
  const get = await glassbox(['get', '/counter', '--proof', '--dir', dir], cwd)
  assert.equal(get.code, 0, get.stderr)
  await writeFile(path.join(cwd, 'p.json'), get.stdout)
  const absent = await glassbox(['get', '/nothing', '--proof', '--dir', dir], cwd)
  assert.equal(absent.code, 1)
  await writeFile(path.join(cwd, 'absent.json'), absent.stdout)
  return key
}

/** The direct variant's files, made once: the tests only read them (and write files of their own). */
const direct = { cwd: '', key: '' }

before(async () => {
  direct.cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-proofs-'))
  direct.key = await proofFiles(direct.cwd, 'direct')
})

after(async () => {
  if (direct.cwd !== '') await rm(direct.cwd, { recursive: true, force: true })
})

/** The files of `via` and the key to check them against. */
async function filesOf(t: TestContext, via: 'direct' | 'serve'): Promise<{ cwd: string; key: string }> {
  if (via === 'direct') return direct
  const cwd = await tempDir(t)
  return { cwd, key: await proofFiles(cwd, via, t) }
}

for (const via of ['direct', 'serve'] as const) {
  test(`proof files from get --proof and call --receipt check offline (${via})`, async (t) => {
    const { cwd, key } = await filesOf(t, via)
    const state = await glassbox(['proof', 'verify', 'p.json', '--key', key], cwd)
    assert.equal(state.code, 0, state.stderr)
    assert.match(state.stdout, /^valid: \/counter = 1 under the seal of \d+ entries/)
    const none = await glassbox(['proof', 'verify', 'absent.json', '--key', key, '--json'], cwd)
    assert.equal(none.code, 0)
    assert.deepEqual(JSON.parse(none.stdout).state, { kind: 'key', key: '/nothing', found: false, value: null })
    const receipt = await glassbox(['proof', 'verify', 'r.json', '--key', key], cwd)
    assert.equal(receipt.code, 0, receipt.stderr)
    assert.match(receipt.stdout, /acknowledged at index \d+: ok/)
    assert.match(receipt.stdout, /now \/counter = 1/)
  })
}

test('proof verify: another key or a tampered file is invalid (exit 1), garbage is malformed (exit 2)', async (t) => {
  const { cwd, key } = direct
  const other = key.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))
  const foreign = await glassbox(['proof', 'verify', 'p.json', '--key', other], cwd)
  assert.equal(foreign.code, 1)
  assert.match(foreign.stdout, /^invalid: the proof is for database/)

  const file = JSON.parse(await readFile(path.join(cwd, 'p.json'), 'utf8'))
  const leaf = file.proof.nodes.find((n: object) => 'value' in n)
  leaf.value = 41
  await writeFile(path.join(cwd, 'forged.json'), JSON.stringify(file))
  const forged = await glassbox(['proof', 'verify', 'forged.json', '--key', key], cwd)
  assert.equal(forged.code, 1)
  assert.match(forged.stdout, /^invalid: the state proof does not verify/)

  await writeFile(path.join(cwd, 'garbage.json'), '{"format":"glassbox-proof/1","kind":"state"')
  for (const name of ['garbage.json', 'missing.json', 'counter.js']) {
    const r = await glassbox(['proof', 'verify', name], cwd)
    assert.equal(r.code, 2, name)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
  const usage = await glassbox(['proof', 'check', 'p.json'], cwd)
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /unknown action "check"/)
})
