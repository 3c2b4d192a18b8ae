// The failover commands' edges: the executor's key pair goes to a new file only and only from the
// executor's directory, and `serve` refuses standby flags that do not fit together, with a clear error.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { readKeyFile } from '../src/claims/verifier-key.js'
import { glassbox } from './helpers/cli.js'
import { tempDir } from './helpers/databases.js'

test('key --executor writes the signer of the index log, once, and only where the database was created', async (t) => {
  const root = await tempDir(t)
  const dir = path.join(root, 'db')
  const init = await glassbox(['init', path.resolve('examples/counter.js'), '--dir', dir, '--json'], root)
  assert.equal(init.code, 0, init.stderr)
  const file = path.join(root, 'executor.key')
  const made = await glassbox(['key', file, '--executor', '--dir', dir, '--json'], root)
  assert.equal(made.code, 0, made.stderr)
  const info = JSON.parse((await glassbox(['info', '--dir', dir, '--json'], root)).stdout)
  assert.equal(JSON.parse(made.stdout).publicKey, info.signer)
  assert.equal(Buffer.from((await readKeyFile(file))!.subarray(32)).toString('hex'), info.signer)

  const again = await glassbox(['key', file, '--executor', '--dir', dir], root)
  assert.notEqual(again.code, 0)
  assert.match(again.stderr, /exists already/)
  const nowhere = await glassbox(['key', path.join(root, 'other.key'), '--executor', '--dir', path.join(root, 'none')], root)
  assert.notEqual(nowhere.code, 0)
  assert.match(nowhere.stderr, /DATABASE_NOT_FOUND|no such directory/)
})

test('serve refuses standby flags that do not fit, before opening anything', async (t) => {
  const root = await tempDir(t)
  const dir = path.join(root, 'db')
  assert.equal((await glassbox(['init', path.resolve('examples/counter.js'), '--dir', dir], root)).code, 0)
  const cases: [string[], RegExp][] = [
    [['--takeover-after', '500'], /--takeover-after needs --standby/],
    [['--standby-peer', 'abc'], /--standby-peer takes a swarm key/],
    [['--standby', path.join(root, 'missing.key')], /no such key file/],
    [['--standby', path.join(root, 'k'), '--standby-peer', 'ab'.repeat(32)], /two ends of one link/],
  ]
  for (const [flags, message] of cases) {
    const run = await glassbox(['serve', '--dir', dir, ...flags], root)
    assert.equal(run.code, 2, `${flags.join(' ')}: ${run.stderr}`)
    assert.match(run.stderr, message)
  }
  // A standby is a replica on the network: not the executor's own directory, offline.
  const file = path.join(root, 'executor.key')
  assert.equal((await glassbox(['key', file, '--executor', '--dir', dir], root)).code, 0)
  const offline = await glassbox(['serve', '--dir', dir, '--standby', file], root)
  assert.notEqual(offline.code, 0)
  assert.match(offline.stderr, /a standby is a replica on the network/)
})
