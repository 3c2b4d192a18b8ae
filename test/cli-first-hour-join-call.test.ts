// The first hour with `join` and `call`, run as a new user would: the next step `join` prints works
// when pasted, a wrong key fails instead of "joining", a call waiting for an offline executor says
// so and can give up, the executor's directory remembers its network, and `--name value` params
// stay strings unless `--name:json` says otherwise.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import type { CallOutput } from '../src/net/methods.js'
import { CLI, glassbox, childEnv, type Run } from './helpers/cli.js'
import { eventually } from './helpers/network.js'
import { TestNetwork } from './helpers/net-processes.js'

let dht: BootstrapNodes
before(async () => {
  dht = await startBootstrapNodes()
})
after(async () => {
  await dht.close()
})

const bootstrap = () => dht.bootstrap.map((n) => `${n.host}:${n.port}`).join(',')

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

test('--help lists each command once', async () => {
  const help = await glassbox(['--help'], process.cwd())
  const names = help.stdout.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0])
  assert.deepEqual(names, [...new Set(names)])
  assert.ok(names.includes('dht'))
})
