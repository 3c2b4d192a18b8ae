// `glassbox serve` holds a database; the other commands reach it through its socket, and fall
// back to opening the directory when no server answers (none ran, or one was killed).

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { glassbox, startServer } from './helpers/cli.js'
import { initLikeCli } from './helpers/setup2-init.js'

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

/** Sends raw lines on the socket and collects one answer per line. */
function rawRpc(socketPath: string, lines: string[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath)
    const answers: unknown[] = []
    let buffered = ''
    socket.setEncoding('utf8')
    socket.on('error', reject)
    socket.on('connect', () => socket.write(lines.map((l) => l + '\n').join('')))
    socket.on('data', (d: string) => {
      buffered += d
      let nl
      while ((nl = buffered.indexOf('\n')) !== -1) {
        answers.push(JSON.parse(buffered.slice(0, nl)))
        buffered = buffered.slice(nl + 1)
      }
      if (answers.length === lines.length) {
        socket.end()
        resolve(answers)
      }
    })
  })
}

describe('glassbox serve', () => {
  let tmp: string
  let dir: string

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-serve-'))
    dir = path.join(tmp, 'db')
    await writeFile(path.join(tmp, 'counter.js'), COUNTER)
    const init = await glassbox(['init', 'counter.js', '--dir', dir], tmp)
    assert.equal(init.code, 0, init.stderr)
  })

  after(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  test('commands go through a running server, which stops cleanly on SIGTERM', async () => {
    const server = await startServer(dir, tmp)
    try {
      const socket = path.join(await realpath(dir), 'glassbox.sock')
      assert.equal(server.ready.socket, socket)
      assert.equal(server.ready.pid, server.child.pid)
      assert.ok(existsSync(socket))
      assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'serve.json'), 'utf8')), { socket, pid: server.child.pid })

      const call = await glassbox(['call', 'increment', '--dir', dir, '--json'], tmp)
      assert.equal(call.code, 0, call.stderr)
      assert.equal(JSON.parse(call.stdout).ops[0].outcome.success, true)

      // Both at once: the server serializes them; each sees its own op processed.
      const [a, b] = await Promise.all([
        glassbox(['call', 'increment', '--dir', dir], tmp),
        glassbox(['call', 'increment', '--dir', dir], tmp),
      ])
      assert.equal(a.code, 0, a.stderr)
      assert.equal(b.code, 0, b.stderr)

      const get = await glassbox(['get', '/counter', '--dir', dir], tmp)
      assert.equal(get.code, 0, get.stderr)
      assert.equal(get.stdout.trim(), '3')

      const info = JSON.parse((await glassbox(['info', '--dir', dir, '--json'], tmp)).stdout)
      assert.deepEqual(info.server, { pid: server.child.pid, socket })
      assert.equal(info.executor, true)
      assert.match((await glassbox(['info', '--dir', dir], tmp)).stdout, new RegExp(`^served +by pid ${server.child.pid} `, 'm'))

      const history = JSON.parse((await glassbox(['history', 'main', '--dir', dir, '--json'], tmp)).stdout)
      assert.equal(history.items.length, 3)
      assert.equal((await glassbox(['source', '--dir', dir], tmp)).stdout, COUNTER)

      const error = await glassbox(['call', 'nosuchmethod', '--dir', dir, '--json'], tmp)
      assert.equal(error.code, 2)
      assert.match(JSON.parse(error.stdout).error.message, /nosuchmethod/)
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0, server.stderr())
    assert.ok(!existsSync(path.join(dir, 'glassbox.sock')), 'socket removed')
    assert.ok(!existsSync(path.join(dir, 'serve.json')), 'server record removed')

    const direct = await glassbox(['info', '--dir', dir, '--json'], tmp)
    assert.equal(direct.code, 0, direct.stderr)
    assert.equal(JSON.parse(direct.stdout).server, null)
  })

  test('the server answers malformed requests with errors and keeps serving', async () => {
    const server = await startServer(dir, tmp)
    try {
      const answers = (await rawRpc(server.ready.socket, [
        'this is not json',
        '[1, 2]',
        '{"method": "get", "params": {"key": "/counter"}}',
        '{"id": 1, "method": "drop_everything"}',
        '{"id": 2, "method": "get", "params": {"key": 5}}',
        '{"id": 3, "method": "get", "params": "key"}',
        '{"id": 4, "method": "list", "params": {"limit": -1}}',
        '{"id": 5, "method": "call", "params": {"method": "increment", "wait": "yes"}}',
        '{"id": 6, "method": "get", "params": {"key": "/counter"}}',
      ])) as { id: unknown; error?: { code: string; message: string }; result?: unknown }[]
      assert.deepEqual(
        answers.slice(0, 3).map((a) => [a.id, a.error?.code]),
        [
          [null, 'RPC_PARSE'],
          [null, 'RPC_INVALID'],
          [null, 'RPC_INVALID'],
        ],
      )
      const byId = new Map(answers.slice(3).map((a) => [a.id, a]))
      assert.equal(byId.get(1)?.error?.code, 'RPC_METHOD')
      assert.equal(byId.get(2)?.error?.code, 'INVALID_PARAMS')
      assert.equal(byId.get(3)?.error?.code, 'INVALID_PARAMS')
      assert.equal(byId.get(4)?.error?.code, 'INVALID_PARAMS')
      assert.equal(byId.get(5)?.error?.code, 'INVALID_PARAMS')
      assert.deepEqual(byId.get(6)?.result, { key: '/counter', found: true, value: 3 })

      // A new connection after the malformed ones is answered (the commands' client is tested above).
      const [still] = (await rawRpc(server.ready.socket, ['{"id": 7, "method": "get", "params": {"key": "/counter"}}'])) as { result?: unknown }[]
      assert.deepEqual(still.result, { key: '/counter', found: true, value: 3 }, 'still serving')
    } finally {
      server.child.kill('SIGINT')
    }
    assert.equal(await server.exited, 0, server.stderr())
  })

  test('a socket left by a killed server does not break commands', async () => {
    const server = await startServer(dir, tmp)
    server.child.kill('SIGKILL')
    assert.equal(await server.exited, 'SIGKILL')
    assert.ok(existsSync(server.ready.socket), 'the killed server left its socket')
    assert.ok(existsSync(path.join(dir, 'serve.json')))

    const call = await glassbox(['call', 'increment', '--dir', dir], tmp)
    assert.equal(call.code, 0, call.stderr)
    const get = await glassbox(['get', '/counter', '--dir', dir, '--json'], tmp)
    assert.equal(get.code, 0, get.stderr)
    assert.equal(JSON.parse(get.stdout).value, 4)

    const next = await startServer(dir, tmp)
    try {
      assert.equal(JSON.parse((await glassbox(['info', '--dir', dir, '--json'], tmp)).stdout).server.pid, next.child.pid)
    } finally {
      next.child.kill('SIGTERM')
    }
    assert.equal(await next.exited, 0, next.stderr())
    assert.ok(!existsSync(next.ready.socket))
  })

  test('a directory whose socket path is too long gets a socket under the temp directory', async () => {
    let deep = path.join(tmp, 'deep')
    while (Buffer.byteLength(deep) < 120) deep = path.join(deep, 'a-rather-long-directory-name')
    await mkdir(deep, { recursive: true })
    const longDir = path.join(deep, 'db')
    // Made in this process as `glassbox init` makes it (init itself is run in before()).
    await initLikeCli(path.join(tmp, 'counter.js'), longDir)

    const server = await startServer(longDir, tmp)
    try {
      assert.ok(server.ready.socket.startsWith(os.tmpdir()), server.ready.socket)
      assert.ok(Buffer.byteLength(server.ready.socket) <= 107)
      assert.equal(JSON.parse(await readFile(path.join(longDir, 'serve.json'), 'utf8')).socket, server.ready.socket)
      const call = await glassbox(['call', 'increment', '--dir', longDir, '--json'], tmp)
      assert.equal(call.code, 0, call.stderr)
      const info = JSON.parse((await glassbox(['info', '--dir', longDir, '--json'], tmp)).stdout)
      assert.equal(info.server.socket, server.ready.socket)
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0, server.stderr())
    assert.ok(!existsSync(server.ready.socket))
  })
})
