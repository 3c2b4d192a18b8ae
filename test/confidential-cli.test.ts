// A confidential database from the command line, as a person would run it: a reader's key, init
// --confidential, calls, info, and verify by a member, by a reader, and by a peer without a key.

import assert from 'node:assert/strict'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { glassbox } from './helpers/cli.js'
import { replicaWithoutKeys } from './helpers/confidential.js'

test('glassbox init --confidential, with a reader who verifies in full and a peer who checks the seals', async (t) => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-confidential-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  await copyFile(path.resolve('examples/kv-store.js'), path.join(cwd, 'kv-store.js'))
  const run = async (args: string[], code = 0) => {
    const r = await glassbox(args, cwd)
    assert.equal(r.code, code, `glassbox ${args.join(' ')}: ${r.stderr}${r.stdout}`)
    return r
  }

  const reader = JSON.parse((await run(['key', 'reader.key', '--json'])).stdout)
  assert.match(reader.publicKey, /^[0-9a-f]{64}$/)
  assert.equal(reader.created, true)
  assert.equal(JSON.parse((await run(['key', 'reader.key', '--json'])).stdout).publicKey, reader.publicKey, 'the same key on the next run')

  await run(['init', 'kv-store.js', '--reader', reader.publicKey], 2).then((r) => assert.match(r.stderr, /--reader, --rotate-every and --public-contract need --confidential/))
  const init = JSON.parse((await run(['init', 'kv-store.js', '--dir', 'db', '--confidential', '--reader', reader.publicKey, '--json'])).stdout)
  assert.deepEqual(init.confidential.readers, [reader.publicKey])
  await run(['call', 'claimAdmin', '--dir', 'db'])
  await run(['call', 'put', '--key', 'flower', '--value', 'tulip', '--dir', 'db'])
  assert.equal(JSON.parse((await run(['call', 'get', '--key', 'flower', '--dir', 'db', '--json'])).stdout).response, 'tulip')

  const info = JSON.parse((await run(['info', '--dir', 'db', '--json'])).stdout)
  assert.equal(info.confidential.member, true)
  assert.equal(info.confidential.keys, init.confidential.keys)
  assert.match((await run(['info', '--dir', 'db'])).stdout, /confidential +yes: epoch 0, this directory is a member/)
  assert.match((await run(['verify', '--dir', 'db'])).stdout, /valid/)

  const { replica } = await replicaWithoutKeys(t, path.join(cwd, 'db'))
  const refused = await run(['verify', '--dir', replica], 2)
  assert.match(refused.stderr, /NOT_A_MEMBER|holds no key of the confidential database/)
  const seals = await run(['verify', '--dir', replica, '--seals-only'])
  assert.match(seals.stdout, /3 seal\(s\) checked .*\nseals valid/)
  const full = JSON.parse((await run(['verify', '--dir', replica, '--reader-key', 'reader.key', '--json'])).stdout)
  assert.equal(full.valid, true)
  assert.equal(full.length, info.length, 'every entry of the replica verified')
  await run(['verify', '--dir', replica, '--reader-key', 'nobody.key'], 2).then((r) => assert.match(r.stderr, /no key file at nobody.key/))
})
