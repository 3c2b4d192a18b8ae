// The first hour with `join` and `call`, run as a new user would: the next step `join` prints works
// when pasted, a wrong key fails instead of "joining", a call waiting for an offline executor says
// so and can give up, the executor's directory remembers its network, and `--name value` params
// stay strings unless `--name:json` says otherwise.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import type { CallOutput } from '../src/net/methods.js'
import { CLI, glassbox, childEnv, type Run } from './helpers/cli.js'
import { tempDir } from './helpers/databases.js'
import { eventually, localDht } from './helpers/network.js'
import { TestNetwork } from './helpers/net-processes.js'

const dht = localDht()

/** A key no peer serves: valid hex, so the only thing wrong with it is that nobody has it. */
const UNSERVED = 'ab'.repeat(32)

/** Runs one line through sh, as a user pasting it would, with `glassbox` standing for this build's CLI. */
function shell(line: string, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const script = `glassbox() { "$GB_NODE" "$GB_CLI" "$@"; }\n${line}\n`
    const child = spawn('/bin/sh', ['-c', script], { cwd, env: { ...childEnv(), GB_NODE: process.execPath, GB_CLI: CLI } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

test('join prints a next step that works when pasted with the executor directory filled in', async (t) => {
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('exec')
  const alice = net.path('alice')
  const joined = await net.finish(['join', exec.key, '--dir', alice, '--bootstrap', net.bootstrap])
  assert.equal(await joined.exited, 0, joined.describe())
  const printed = /glassbox call [^\n]*/.exec(joined.output())?.[0]
  assert.ok(printed, `join names the call to make: ${joined.output()}`)
  assert.match(printed, /--dir <EXECUTOR_DIR>/, 'the command names the directory it must run in')
  assert.match(joined.output(), /<EXECUTOR_DIR>/)
  const pubkey = /oplog main ([0-9a-f]{64})/.exec(joined.output())?.[1]
  assert.ok(pubkey)

  const run = await shell(printed.replace('<EXECUTOR_DIR>', `'${exec.dir}'`), net.root)
  assert.equal(run.code, 0, `${printed}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`)
  assert.match(run.stdout, /: ok \(index \d+\)/)
  const participants = await net.json<CallOutput>(['call', 'listParticipants', '--dir', exec.dir])
  assert.ok((participants.response as string[]).includes(pubkey), 'the pasted command added the joined oplog')
})

test('join with a key nobody serves fails after --timeout and leaves no directory behind', async (t) => {
  const net = await TestNetwork.start(t, dht.flag())
  const fresh = net.path('nobody')
  const failed = await net.finish(['join', UNSERVED, '--dir', fresh, '--bootstrap', net.bootstrap, '--timeout', '1'])
  assert.equal(await failed.exited, 2, failed.describe())
  assert.equal(failed.output(), '', 'nothing claims the join worked')
  assert.match(failed.stderr(), /^glassbox: no peer serving database abababab… was found within 1 s/m)
  assert.match(failed.stderr(), /nothing was joined/)
  assert.equal(existsSync(fresh), false, 'the directory join made is gone')

  // The old flag bounds the wait the same way; a directory that existed keeps only what it held.
  const kept = net.path('kept')
  await mkdir(kept)
  await writeFile(path.join(kept, 'notes.txt'), 'mine\n')
  const again = await net.finish(['join', UNSERVED, '--dir', kept, '--bootstrap', net.bootstrap, '--peer-timeout', '1', '--json'])
  assert.equal(await again.exited, 2, again.describe())
  assert.equal(JSON.parse(again.output()).error.code, 'NO_PEERS')
  assert.deepEqual(await readdir(kept), ['notes.txt'])
  const info = await net.finish(['info', '--dir', kept])
  assert.match(info.stderr(), /no database there/, 'later commands do not take it for a joined directory')
})

test('a call waiting for an offline executor says what it published, and --timeout gives up with exit 3', async (t) => {
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('exec')
  const alice = await net.participant(exec, 'alice')
  await exec.serve.kill('SIGTERM')

  const waiting = net.spawn(['call', 'put', '--key', 'k', '--value', 'v1', '--dir', alice.dir])
  await eventually(() => /waiting for the executor/.test(waiting.stderr()) || !waiting.running, 'the call says it waits')
  assert.ok(waiting.running, waiting.describe())
  assert.match(waiting.stderr(), new RegExp(`^published op 0 to oplog ${alice.pubkey.slice(0, 8)}…, waiting for the executor…`, 'm'))
  await waiting.kill('SIGINT')

  const timed = await net.finish(['call', 'put', '--key', 'k', '--value', 'v2', '--dir', alice.dir, '--timeout', '1', '--json'])
  assert.equal(await timed.exited, 3, timed.describe())
  assert.match(timed.stderr(), /^published op 1 to oplog /m)
  const error = JSON.parse(timed.output()).error
  assert.equal(error.code, 'CALL_TIMEOUT')
  assert.match(error.message, /op 1 of oplog [0-9a-f]{8}… stays published/)

  // Both ops stayed published: the executor, back, processes them in order, so once a third op
  // of alice's is processed, so were they.
  await net.restart(exec)
  const third = await net.finish(['call', 'put', '--key', 'other', '--value', 'v3', '--dir', alice.dir, '--timeout', '60'], 90_000)
  assert.equal(await third.exited, 0, third.describe())
  assert.equal((await net.json<CallOutput>(['call', 'get', '--key', 'k', '--dir', exec.dir])).response, 'v2')
})

test('the executor directory remembers --bootstrap across restarts, without taking other commands online', async (t) => {
  const net = await TestNetwork.start(t, dht.flag())
  const exec = await net.executor('exec')
  assert.equal(exec.ready.swarm, true)
  await exec.serve.kill('SIGTERM')
  const again = await net.serve('exec', [])
  assert.equal(again.ready.swarm, true, 'serve without flags goes back on the network it was served on')
  assert.equal(again.ready.executor, true)
  await again.serve.kill('SIGTERM')
  const info = await net.json<{ executor: boolean; length: number }>(['info', '--dir', exec.dir])
  assert.equal(info.executor, true)
})

test('--name value params stay strings; --name:json parses the value', async (t) => {
  const root = await tempDir(t)
  const contract = path.join(root, 'echo.js')
  await writeFile(
    contract,
    `export function echo(params) { return params }
export function nothing() {}
export function bump(_params, emit) { emit({ op: 'BUMP' }) }
export const apply = { BUMP(tx) { tx.put('/bumped', true) } }
`,
  )
  const dir = path.join(root, 'db')
  assert.equal((await glassbox(['init', contract, '--dir', dir], root)).code, 0)
  const gb = (...args: string[]) => glassbox([...args, '--dir', dir], root)

  const echoed = await gb('call', 'echo', '--key', '123', '--flag', 'true', '--nil', 'null', '--n:json', '5', '--list:json', '[1,"x"]', '--neg:json', '-3', '--json')
  assert.equal(echoed.code, 0, echoed.stderr)
  assert.deepEqual(JSON.parse(echoed.stdout).response, { key: '123', flag: 'true', nil: 'null', n: 5, list: [1, 'x'], neg: -3 })
  const bad = await gb('call', 'echo', '--n:json', '{oops')
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^glassbox: --n:json is not valid JSON/)
  const twice = await gb('call', 'echo', '--n', '1', '--n:json', '1')
  assert.match(twice.stderr, /param --n is given twice/)

  const help = await glassbox(['call', '--help'], root)
  assert.match(help.stdout, /--name:json value/)

  // A method that returns nothing prints what happened, not a bare null; --json keeps the document.
  const bumped = await gb('call', 'bump')
  assert.equal(bumped.code, 0, bumped.stderr)
  assert.doesNotMatch(bumped.stdout, /^null$/m)
  assert.match(bumped.stdout, /^op [0-9a-f]{8}…\/0: ok \(index \d+\)\n$/)
  const nothing = await gb('call', 'nothing')
  assert.equal(nothing.stdout, 'nothing() returned null and emitted no ops\n')
  assert.equal(JSON.parse((await gb('call', 'nothing', '--json')).stdout).response, null)
})

test('--help lists each command once', async () => {
  const help = await glassbox(['--help'], process.cwd())
  const names = help.stdout.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0])
  assert.deepEqual(names, [...new Set(names)])
  assert.ok(names.includes('dht'))
})
