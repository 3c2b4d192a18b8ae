// `glassbox verify` and `glassbox monitor` as a person runs them: exit codes, text and --json,
// a tampered database caught, continuous monitoring through a running `serve`.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { Database } from '../src/index.js'
import { CLI, childEnv, glassbox, startServer } from './helpers/cli.js'
import { honestDir, send1, tempDir } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'

const COUNTER = `import { index } from 'contract'
export async function get () { const e = await index.get('/counter'); return e ? e.value : 0 }
export function increment (_p, emit) { emit({ op: 'INCREMENT' }) }
export const apply = { async INCREMENT (tx) { const e = await tx.get('/counter'); tx.put('/counter', (e ? e.value : 0) + 1) } }
`

/** A counter database made with `glassbox init` and `glassbox call increment`, as a person would. */
async function made(t: TestContext, increments: number): Promise<{ cwd: string; dir: string }> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-verify-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  await writeFile(path.join(cwd, 'counter.js'), COUNTER)
  const dir = path.join(cwd, 'db')
  assert.equal((await glassbox(['init', 'counter.js', '--dir', dir], cwd)).code, 0)
  for (let i = 0; i < increments; i++) assert.equal((await glassbox(['call', 'increment', '--dir', dir], cwd)).code, 0)
  return { cwd, dir }
}

/**
 * The same database made in-process, for the tests whose subject is the command run on it after:
 * `init` and `call` through the CLI stay covered by the first verify test and the serve test.
 */
async function madeInProcess(t: TestContext, increments: number): Promise<{ cwd: string; dir: string }> {
  const cwd = await tempDir(t)
  const dir = await honestDir(t, { contract: COUNTER, oplogs: ['main'] }, async (db) => {
    for (let i = 0; i < increments; i++) await send1(db, 'increment', {}, undefined, true)
  })
  return { cwd, dir }
}

/** Rewrites the value the last increment wrote, with the executor's key: a validly signed breach. */
async function tamper(dir: string): Promise<number> {
  return withDishonest(dir, async (x) => {
    // The last block is the last op's entry and its seal.
    const at = x.length - 2
    await x.tamperOp(at, (e) => ({ ...e, changes: [{ type: 'put', key: '/counter', value: 99 }] }))
    return at
  })
}

test('verify: exit 0 and a summary on an honest database, the same facts with --json', async (t) => {
  const { cwd, dir } = await made(t, 3)
  const text = await glassbox(['verify', '--dir', dir], cwd)
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^valid: 11 of 11 index entries verified \(3 ops/)
  const json = await glassbox(['verify', '--dir', dir, '--json'], cwd)
  assert.equal(json.code, 0)
  const report = JSON.parse(json.stdout)
  assert.equal(report.valid, true)
  assert.equal(report.verified, 11)
  assert.equal(report.breach, null)
})

test('verify: a tampered entry gives exit 1 and a notice naming the entry, class and evidence', async (t) => {
  const { cwd, dir } = await madeInProcess(t, 2)
  const at = await tamper(dir)
  const text = await glassbox(['verify', '--dir', dir], cwd)
  assert.equal(text.code, 1, text.stderr)
  assert.match(text.stdout, new RegExp(`^BREACH breach at index #${at} \\(\\.sys/acks/[0-9a-f]{64}/1\\): changes-mismatch`))
  assert.match(text.stdout, /expected +\{"type":"put","key":"\/counter","value":2\}/)
  assert.match(text.stdout, /found +\{"type":"put","key":"\/counter","value":99\}/)
  const report = JSON.parse((await glassbox(['verify', '--dir', dir, '--json'], cwd)).stdout)
  assert.equal(report.valid, false)
  assert.equal(report.breach.class, 'changes-mismatch')
  assert.equal(report.breach.seq, at)
  assert.match(report.breach.evidence.entryHash, /^[0-9a-f]{64}$/)
})

test('verify: no database, or bad flags, is one line and exit 2', async (t) => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-verify-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  const none = await glassbox(['verify', '--dir', 'nothing-here'], cwd)
  assert.equal(none.code, 2)
  assert.match(none.stderr, /^glassbox: nothing-here: no such directory\n$/)
  const bad = await glassbox(['verify', '--frobnicate'], cwd)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /unknown option --frobnicate/)
})

test('verify --checkpoint resumes from the directory checkpoint instead of starting over', async (t) => {
  const { cwd, dir } = await madeInProcess(t, 2)
  const first = JSON.parse((await glassbox(['verify', '--checkpoint', '--dir', dir, '--json'], cwd)).stdout)
  assert.equal(first.resumedFrom, 0)
  const db = await Database.load(dir)
  try {
    await send1(db, 'increment', {}, undefined, true)
    await db.settled()
  } finally {
    await db.close()
  }
  const second = JSON.parse((await glassbox(['verify', '--checkpoint', '--dir', dir, '--json'], cwd)).stdout)
  assert.equal(second.resumedFrom, first.verified)
  assert.equal(second.ops, 1)
  assert.equal(second.valid, true)
})

test('monitor: on a tampered copy it prints the notice, appends it to the notices file and exits 1', async (t) => {
  const { cwd, dir } = await madeInProcess(t, 2)
  const at = await tamper(dir)
  const notices = path.join(cwd, 'notices.jsonl')
  const run = await glassbox(['monitor', '--dir', dir, '--notices', notices], cwd)
  assert.equal(run.code, 1, run.stderr)
  assert.match(run.stdout, /BREACH breach at index #\d+ .*changes-mismatch/)
  const lines = (await readFile(notices, 'utf8')).trim().split('\n')
  assert.equal(lines.length, 1)
  assert.equal(JSON.parse(lines[0]).seq, at)
})

test('monitor: through a running serve it follows new entries until SIGTERM', async (t) => {
  const { cwd, dir } = await made(t, 1)
  const server = await startServer(dir, cwd)
  t.after(async () => {
    server.child.kill('SIGTERM')
    await server.exited
  })
  const monitor = spawn(process.execPath, [CLI, 'monitor', '--dir', dir, '--interval', '100', '--json'], { cwd, env: childEnv() })
  let out = ''
  const seen = (length: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "verified ${length}" line; got: ${out}`)), 20_000)
      const check = () => {
        if (out.split('\n').some((l) => l === JSON.stringify({ verified: length }))) {
          clearTimeout(timer)
          resolve()
        }
      }
      monitor.stdout.on('data', check)
      check()
    })
  monitor.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  const exited = new Promise<number | null>((resolve) => monitor.on('exit', (code) => resolve(code)))
  await seen(7)
  assert.equal((await glassbox(['call', 'increment', '--dir', dir], cwd)).code, 0)
  await seen(9)
  monitor.kill('SIGTERM')
  assert.equal(await exited, 0)
  assert.doesNotMatch(out, /breach/)
})
