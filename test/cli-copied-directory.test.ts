// A database directory copied with `cp -r` or `tar` (as a backup, or to look at elsewhere) opens
// read-only: the commands that read work on it, nothing is written to its logs, and what would
// append (the executor, a call that publishes ops) is refused in Glassbox's words. A server record
// copied along with a served directory does not send the copy's commands to the original's server.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { Database } from '../src/database.js'
import { glassbox, startServer } from './helpers/cli.js'
import { callAndWait, initLikeCli } from './helpers/setup2-init.js'

const run = promisify(execFile)

const COUNTER = `import { index } from 'contract'

export async function get() {
  const entry = await index.get('/counter')
  return entry ? entry.value : 0
}

export function increment(_params, emit) {
  emit({ op: 'INCREMENT' })
}

export const apply = {
  async INCREMENT(tx) {
    const entry = await tx.get('/counter')
    tx.put('/counter', (entry ? entry.value : 0) + 1)
  },
}
`

/** A digest of every file under `dir`/cores (the logs): equal before and after means nothing was written. */
async function logsDigest(dir: string): Promise<string> {
  const hash = createHash('sha256')
  const root = path.join(dir, 'cores')
  const names = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort()
  for (const name of names) hash.update(name).update('\0').update(await readFile(path.join(root, name)))
  return hash.digest('hex')
}

describe('a copied database directory', () => {
  let tmp: string
  let original: string
  const copies: Record<string, string> = {}

  /** A call that emits ops on a copy is refused, saying why and what to do instead. */
  async function assertWriteRefused(copy: string): Promise<void> {
    const write = await glassbox(['call', 'increment', '--dir', copy], tmp)
    assert.equal(write.code, 2)
    assert.match(write.stderr, /^glassbox: .* is a copy of a database directory .*opened read-only: a copy must not publish ops, because two executors appending to copies of one log fork it, which monitors report as a breach; run the executor and calls only on the original directory; to move a database, stop its `glassbox serve` and move the directory with `mv`/)
    assert.doesNotMatch(write.stderr, /device file|moved unsafely/i)
  }

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-copy-'))
    original = path.join(tmp, 'db')
    await writeFile(path.join(tmp, 'counter.js'), COUNTER)
    // The original is made in this process as `glassbox init` and two `glassbox call increment`
    // would make it (the same files on disk): what is under test is its copies.
    await initLikeCli(path.join(tmp, 'counter.js'), original, async (db) => {
      for (let i = 0; i < 2; i++) await callAndWait(db, 'increment')
    })
    copies['cp -r'] = path.join(tmp, 'cp-copy')
    await run('cp', ['-r', original, copies['cp -r']])
    await mkdir(path.join(tmp, 'untarred'))
    await run('tar', ['-cf', path.join(tmp, 'db.tar'), '-C', tmp, 'db'])
    await run('tar', ['-xf', path.join(tmp, 'db.tar'), '-C', path.join(tmp, 'untarred')])
    copies.tar = path.join(tmp, 'untarred', 'db')
  })

  after(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  test('read-only commands work on a cp -r copy and write nothing to its logs', async () => {
    const copy = copies['cp -r']
    const before = await logsDigest(copy)
    const info = await glassbox(['info', '--dir', copy, '--json'], tmp)
    assert.equal(info.code, 0, info.stderr)
    const out = JSON.parse(info.stdout)
    assert.equal(out.readOnly, true)
    assert.equal(out.executor, false)
    assert.equal(out.keys, 1, 'one key written by the contract; .sys/ keys are not counted')
    const text = await glassbox(['info', '--dir', copy], tmp)
    assert.match(text.stdout, /^executor +not running \(a copy of a database directory, opened read-only/m)

    const get = await glassbox(['get', '/counter', '--dir', copy, '--json'], tmp)
    assert.equal(get.code, 0, get.stderr)
    assert.equal(JSON.parse(get.stdout).value, 2)
    const proof = await glassbox(['get', '/counter', '--proof', '--dir', copy], tmp)
    assert.equal(proof.code, 0, proof.stderr)
    assert.equal(JSON.parse(proof.stdout).proof.key, '/counter')
    const list = await glassbox(['list', '--dir', copy], tmp)
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^\/counter +2$/m)
    const history = await glassbox(['history', '--dir', copy], tmp)
    assert.equal(history.code, 0, history.stderr)
    assert.match(history.stdout, /ok: put \/counter 2/)
    // A method that only reads is answered; one that emits ops is refused, and says why and what to do.
    const read = await glassbox(['call', 'get', '--dir', copy], tmp)
    assert.equal(read.code, 0, read.stderr)
    assert.equal(read.stdout.trim(), '2')
    await assertWriteRefused(copy)

    assert.equal(await logsDigest(copy), before, "the copy's logs are unchanged")
    const verify = await glassbox(['verify', '--dir', copy], tmp)
    assert.equal(verify.code, 0, verify.stderr)
  })

  // Once a copy is detected, every read goes the same way whatever made the copy (the test above
  // runs them all); what differs between cp -r and tar is whether the copy is detected at all: an
  // undetected tar copy would open with its executor and take the write.
  test('a tar copy is detected: it opens read-only, refuses a write and nothing is written to its logs', async () => {
    const copy = copies.tar
    const before = await logsDigest(copy)
    const info = await glassbox(['info', '--dir', copy, '--json'], tmp)
    assert.equal(info.code, 0, info.stderr)
    const out = JSON.parse(info.stdout)
    assert.equal(out.readOnly, true)
    assert.equal(out.executor, false)
    await assertWriteRefused(copy)
    assert.equal(await logsDigest(copy), before, "the copy's logs are unchanged")
    const verify = await glassbox(['verify', '--dir', copy], tmp)
    assert.equal(verify.code, 0, verify.stderr)
  })

  test('serve on a copy answers reads without running the executor', async () => {
    const copy = copies['cp -r']
    const before = await logsDigest(copy)
    const server = await startServer(copy, tmp)
    try {
      assert.equal((server.ready as { readOnly?: boolean }).readOnly, true)
      const info = JSON.parse((await glassbox(['info', '--dir', copy, '--json'], tmp)).stdout)
      assert.equal(info.server.pid, server.child.pid)
      assert.equal(info.executor, false)
      const write = await glassbox(['call', 'increment', '--dir', copy], tmp)
      assert.equal(write.code, 2)
      assert.match(write.stderr, /a copy must not publish ops/)
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0, server.stderr())
    assert.equal(await logsDigest(copy), before)
  })

  test("a copy of a served directory is not answered by the original's server", async () => {
    const server = await startServer(original, tmp)
    try {
      const copy = path.join(tmp, 'served-copy')
      await run('cp', ['-r', original, copy])
      // The copied serve.json names the original's socket.
      assert.equal(JSON.parse(await readFile(path.join(copy, 'serve.json'), 'utf8')).pid, server.child.pid)
      const info = JSON.parse((await glassbox(['info', '--dir', copy, '--json'], tmp)).stdout)
      assert.equal(info.server, null)
      assert.equal(info.readOnly, true)
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0, server.stderr())
  })

  test('a backup restored as the README says runs the executor', async () => {
    const restored = path.join(tmp, 'restored')
    await mkdir(restored)
    await run('tar', ['-xf', path.join(tmp, 'db.tar'), '-C', restored])
    const dir = path.join(restored, 'db')
    await rm(path.join(dir, 'cores', 'CORESTORE'))
    const call = await glassbox(['call', 'increment', '--dir', dir], tmp)
    assert.equal(call.code, 0, call.stderr)
    const info = JSON.parse((await glassbox(['info', '--dir', dir, '--json'], tmp)).stdout)
    assert.equal(info.readOnly, false)
    assert.equal(info.executor, true)
    // The value read in this process: what is under test is that the executor ran, not `get`.
    const db = await Database.load(dir, { execute: false })
    try {
      assert.equal(db.get('/counter')?.value, 3)
    } finally {
      await db.close()
    }
  })

  test('the original still runs its executor', async () => {
    const call = await glassbox(['call', 'increment', '--dir', original, '--json'], tmp)
    assert.equal(call.code, 0, call.stderr)
    const info = JSON.parse((await glassbox(['info', '--dir', original, '--json'], tmp)).stdout)
    assert.equal(info.readOnly, false)
    assert.equal(info.keys, 1)
  })
})
