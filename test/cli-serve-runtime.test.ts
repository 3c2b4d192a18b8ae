// `glassbox serve --runtime`: ops run off the main thread (thread by default), so the socket keeps
// answering while an op hangs; the op ceiling then stops the executor with an alert, records
// nothing for the op, and the next start processes it exactly once.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Database } from '../src/index.js'
import { glassbox, serverLine, startServer } from './helpers/cli.js'
import { initLikeCli } from './helpers/setup2-init.js'
import { askServer } from './helpers/setup2-socket.js'

const COUNTER = `import { index } from 'contract'
export async function get() { const e = await index.get('/counter'); return e ? e.value : 0 }
export function increment(_params, emit) { emit({ op: 'INCREMENT' }) }
export const apply = {
  async INCREMENT(tx) { const e = await tx.get('/counter'); tx.put('/counter', (e ? e.value : 0) + 1) },
}
`

describe('glassbox serve --runtime', () => {
  let tmp: string
  let dir: string

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-serve-runtime-'))
    dir = path.join(tmp, 'db')
    await writeFile(path.join(tmp, 'counter.js'), COUNTER)
    // Made in this process as `glassbox init` makes it: what is under test is `serve`.
    await initLikeCli(path.join(tmp, 'counter.js'), dir)
  })

  after(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  test('runs contract code in a worker thread by default and says so', async () => {
    const server = await startServer(dir, tmp)
    try {
      assert.equal(server.ready.runtime, 'thread')
      const call = await glassbox(['call', 'increment', '--dir', dir], tmp)
      assert.equal(call.code, 0, call.stderr)
      assert.equal((await glassbox(['call', 'get', '--dir', dir], tmp)).stdout.trim(), '1')
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0, server.stderr())
  })

  test('an unknown mode or a zero ceiling is refused by name', async () => {
    const bad = await glassbox(['serve', '--dir', dir, '--runtime', 'fork'], tmp)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--runtime "fork": choose local, thread or process/)
    const zero = await glassbox(['serve', '--dir', dir, '--op-ceiling-ms', '0'], tmp)
    assert.equal(zero.code, 2)
    assert.match(zero.stderr, /--op-ceiling-ms must be at least 1/)
  })

  test('a hung op: calls through the socket still answer, the ceiling stops the executor with an alert and records nothing, a restart runs the op once', async () => {
    const server = await startServer(dir, tmp, ['--runtime', 'process', '--op-ceiling-ms', '1500'])
    let runtimePid = 0
    let counted = -1
    let before = -1
    try {
      assert.equal(server.ready.runtime, 'process')
      const first = await glassbox(['call', 'increment', '--dir', dir], tmp)
      assert.equal(first.code, 0, first.stderr)
      // Reference values, asked on the socket: the commands under test are the ones below.
      counted = Number((await askServer(server.ready.socket, 'call', { method: 'get' })).response)
      before = (await askServer(server.ready.socket, 'info', {})).length
      // Freeze the runtime child: the next op hangs in it as long as it stays stopped.
      const children = execFileSync('pgrep', ['-P', String(server.child.pid), '-f', 'process-entry'], { encoding: 'utf8' }).trim().split('\n')
      assert.equal(children.length, 1)
      runtimePid = Number(children[0])
      process.kill(runtimePid, 'SIGSTOP')
      const alert = serverLine(server, /the executor stopped/)
      assert.equal((await glassbox(['call', 'increment', '--no-wait', '--dir', dir], tmp)).code, 0)
      // Answered through the socket while the op is in flight.
      const during = await glassbox(['call', 'get', '--dir', dir], tmp)
      assert.equal(during.code, 0, during.stderr)
      assert.equal(Number(during.stdout), counted)
      assert.match(await alert, /op \d+ of oplog .* ran past the 1500 ms ceiling in the process runtime; .*nothing was recorded/)
      // Reads that wait for the executor now get its failure, by code, from the server.
      const afterStop = await glassbox(['info', '--dir', dir, '--json'], tmp)
      assert.equal(afterStop.code, 2)
      assert.equal((JSON.parse(afterStop.stdout) as { error: { code: string } }).error.code, 'OP_CEILING')
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0, server.stderr())
    assert.throws(() => process.kill(runtimePid, 0), /ESRCH/, 'the runtime child is gone')
    const stopped = await Database.load(dir, { execute: false })
    assert.equal(stopped.length, before, 'nothing was appended for the hung op')
    await stopped.close()
    // Opened directly: the executor resumes from the acks and runs the hung op once.
    const get = await glassbox(['call', 'get', '--dir', dir], tmp)
    assert.equal(Number(get.stdout), counted + 1, get.stderr)
  })
})
