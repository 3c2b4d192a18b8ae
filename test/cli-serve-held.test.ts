// `glassbox serve` on a directory another `serve` already holds says who holds it and how to reach
// it (the holder answers on its socket), rather than that the holder does not answer.

import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { glassbox, startServer } from './helpers/cli.js'

const CONTRACT = `export function ping() { return 'pong' }
export const apply = { NOOP() {} }
`

describe('serve on an already served directory', () => {
  let tmp: string
  let dir: string

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-held-'))
    dir = path.join(tmp, 'db')
    await writeFile(path.join(tmp, 'ping.js'), CONTRACT)
    const init = await glassbox(['init', 'ping.js', '--dir', dir], tmp)
    assert.equal(init.code, 0, init.stderr)
  })

  after(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  test('names the serving process and its socket', async () => {
    const server = await startServer(dir, tmp)
    try {
      const again = await glassbox(['serve', '--dir', dir], tmp)
      assert.equal(again.code, 2)
      assert.equal(again.stdout, '')
      const lines = again.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, again.stderr)
      assert.doesNotMatch(lines[0], /does not answer/)
      assert.equal(
        lines[0],
        `glassbox: ${dir} is already served by \`glassbox serve\` (pid ${server.child.pid}, socket ${server.ready.socket}): other commands with --dir ${dir} reach the database through it; stop that process (SIGINT or SIGTERM) before serving the directory again`,
      )
      // And it does answer: a command reaches the database through it.
      const info = JSON.parse((await glassbox(['info', '--dir', dir, '--json'], tmp)).stdout)
      assert.equal(info.server.pid, server.child.pid)
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0, server.stderr())
  })
})
