// Issue scenario: a value altered in state/data.mdb while `glassbox serve` runs. The executor must
// stop with a clear error and sign nothing (so `verify` finds no breach and there is nothing for a
// judge to prove against an executor whose only fault was its disk); the next `serve` rebuilds the
// store from the log and processes the pending op once, with the value the log vouches for.

import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { glassbox, serverLine, startServer, type Server } from './helpers/cli.js'
import { alterInPlace } from './helpers/lying-disk.js'
import { initLikeCli } from './helpers/setup2-init.js'
import { askServer } from './helpers/setup2-socket.js'

const NOTE = 'the-note-value-51c0de'
const LIE = 'the-note-value-XXXXXX'

// BUMP copies /note to /seen, and survives a failed read (the worst case: it would write a wrong value).
const CONTRACT = `export function set({ text }, emit) { emit({ op: 'SET', text }) }
export function bump(_params, emit) { emit({ op: 'BUMP' }) }

export const apply = {
  SET(tx, op) { tx.put('/note', op.text) },
  async BUMP(tx) {
    let seen
    try {
      const e = await tx.get('/note')
      seen = e ? e.value : null
    } catch (err) {
      seen = 'caught: ' + err.message
    }
    tx.put('/seen', seen)
  },
}
`

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM')
  assert.equal(await server.exited, 0, server.stderr())
}

test('a value altered in data.mdb under a running serve stops the executor; verify stays valid; the next serve rebuilds and processes the op once', async (t) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-lying-store-'))
  t.after(() => rm(tmp, { recursive: true, force: true }))
  const dir = path.join(tmp, 'db')
  await writeFile(path.join(tmp, 'note.js'), CONTRACT)
  // Made in this process as `glassbox init` makes it: what is under test is `serve` and its store.
  await initLikeCli(path.join(tmp, 'note.js'), dir)

  let server = await startServer(dir, tmp)
  let before: { length: number }
  try {
    const set = await glassbox(['call', 'set', '--text', NOTE, '--dir', dir, '--json'], tmp)
    assert.equal(set.code, 0, set.stderr)
    // The length to compare with later, asked on the socket (info is run through the CLI below).
    before = await askServer(server.ready.socket, 'info', {})

    assert.ok((await alterInPlace(path.join(dir, 'state', 'data.mdb'), NOTE, LIE)) > 0, 'the value is in the store file')
    const bump = await glassbox(['call', 'bump', '--dir', dir, '--json'], tmp)
    assert.equal(bump.code, 2, `the call must fail with an error, not an outcome: ${bump.stdout}`)
    assert.match(bump.stderr, /STORE_INTEGRITY|state store/)
    assert.match(bump.stderr, /\/note/)
    // The server's own line comes down another pipe than the call's answer: wait for it.
    assert.match(await serverLine(server, /the executor stopped/), /\/note/)
    // The server still answers, with the reason its executor stopped.
    const info = await glassbox(['info', '--dir', dir, '--json'], tmp)
    assert.equal(info.code, 2)
    assert.match(info.stderr, /\/note/)
  } finally {
    await stop(server)
  }

  // Nothing was signed: the log is as long as before, and all of it is valid (no breach to prove).
  const verified = await glassbox(['verify', '--dir', dir, '--json'], tmp)
  assert.equal(verified.code, 0, verified.stdout + verified.stderr)
  const checked = JSON.parse(verified.stdout) as { valid: boolean; length: number }
  assert.equal(checked.valid, true)
  assert.equal(checked.length, before.length)

  server = await startServer(dir, tmp)
  try {
    // Ops of one oplog are processed in order: once this one is acknowledged, the pending BUMP is too.
    const again = await glassbox(['call', 'set', '--text', 'later', '--dir', dir, '--json'], tmp)
    assert.equal(again.code, 0, again.stderr)
    const seen = await glassbox(['get', '/seen', '--dir', dir, '--json'], tmp)
    assert.equal(seen.code, 0, seen.stderr)
    assert.equal((JSON.parse(seen.stdout) as { value: string }).value, NOTE)
  } finally {
    await stop(server)
  }
  const final = await glassbox(['verify', '--dir', dir, '--json'], tmp)
  assert.equal(final.code, 0, final.stdout + final.stderr)
  const report = JSON.parse(final.stdout) as { valid: boolean; ops: number }
  assert.equal(report.valid, true)
  // SET, BUMP, SET: the BUMP was acknowledged once, after the restart.
  assert.equal(report.ops, 3)
})
