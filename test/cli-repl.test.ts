// `glassbox repl` driven through stdin, as a script would: one line per result, errors on their
// own line without ending the session, and calls that reach the executor.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { Database } from '../src/database.js'
import { splitWords } from '../src/repl/index.js'
import { CLI, childEnv, type Run } from './helpers/cli.js'

const COUNTER = `import { index } from 'contract'
export async function get () { const e = await index.get('/counter'); return e ? e.value : 0 }
export function increment ({ by = 1 }, emit) { emit({ op: 'INCREMENT', by }) }
export const apply = { async INCREMENT (tx, op) { if (op.by < 0) throw new Error('no going back'); const e = await tx.get('/counter'); tx.put('/counter', (e ? e.value : 0) + op.by) } }
`

async function made(t: TestContext): Promise<string> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-repl-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  const db = await Database.create(path.join(cwd, 'db'), { contract: COUNTER })
  await db.close()
  return cwd
}

/** Runs `glassbox repl` with `lines` piped on its stdin (then end of input). */
function repl(args: string[], lines: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'repl', ...args], { cwd, env: childEnv() })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(lines.map((l) => l + '\n').join(''))
  })
}

test('repl: commands piped on stdin give one line each; an error does not end the session', async (t) => {
  const cwd = await made(t)
  const r = await repl(['--dir', 'db'], [
    'get /counter',
    'call increment',
    `call increment --params '{"by": 5}'`,
    '',
    '# a comment prints nothing',
    'get /counter',
    `call increment --params '{"by": -1}'`,
    'list',
    'history --start=-2',
    'frobnicate',
    'info',
    'exit',
    'call increment',
  ], cwd)
  assert.equal(r.code, 1, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines.length, 9, r.stdout)
  assert.equal(lines[0], 'null')
  assert.equal(lines[1], 'null')
  assert.equal(lines[2], 'null')
  assert.equal(lines[3], '6')
  assert.match(lines[4], /^error OP_FAILED: op 2 failed: .*no going back.* \(index \d+\)$/)
  assert.equal(lines[5], '[{"key":"/counter","value":6}]')
  const items = JSON.parse(lines[6])
  assert.equal(items.length, 2)
  assert.equal(items[1].entry.type, 'seal')
  assert.equal(lines[7], 'error USAGE: unknown command "frobnicate" (type help)')
  const info = JSON.parse(lines[8])
  assert.deepEqual(info.contract.methods, ['get', 'increment'])
  // `exit` ended it: the call after it never ran (3 calls, 2 succeeded).
  const db = await Database.load(path.join(cwd, 'db'))
  try {
    assert.equal(db.get('/counter')?.value, 6)
    assert.equal((await db.history({ log: 'main' })).length, 3)
  } finally {
    await db.close()
  }
})

test('repl --json: whole result objects, errors as {"error"} lines; end of input ends it with exit 0', async (t) => {
  const cwd = await made(t)
  const r = await repl(['--dir', 'db', '--json'], ['get /nothing', `call increment --params '{"by": 2}'`, 'get /counter', 'get', 'help'], cwd)
  assert.equal(r.code, 1, r.stderr)
  const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(lines[0], { key: '/nothing', found: false, value: null })
  assert.equal(lines[1].ops[0].outcome.success, true)
  assert.deepEqual(lines[2], { key: '/counter', found: true, value: 2 })
  assert.deepEqual(lines[3], { error: { code: 'USAGE', message: 'usage: get <key>' } })
  assert.ok(lines[4].some((l: string) => l.includes('call <method>')))
  const ok = await repl(['--dir', 'db'], ['get /counter'], cwd)
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(ok.stdout, '2\n')
  const missing = await repl(['--dir', 'nowhere'], ['info'], cwd)
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /^glassbox: nowhere: no such directory/)
})

test('repl: words split as a shell splits them', () => {
  assert.deepEqual(splitWords(`call put --key 'a b' --value '{"x": [1, 2]}'`), ['call', 'put', '--key', 'a b', '--value', '{"x": [1, 2]}'])
  assert.deepEqual(splitWords(`get "say \\"hi\\"" a\\ b`), ['get', 'say "hi"', 'a b'])
  assert.deepEqual(splitWords('  list   /values  '), ['list', '/values'])
  assert.deepEqual(splitWords(`get ''`), ['get', ''])
  assert.throws(() => splitWords(`get 'open`), { code: 'USAGE' })
})
