// The `glassbox` command run as a child process, without a server: every command opens the
// database directory itself.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { glassbox, type Run } from './helpers/cli.js'

const COUNTER = `import assert from 'assert'
import { index } from 'contract'

export async function get() {
  const entry = await index.get('/counter')
  return entry ? entry.value : 0
}

export function increment(_params, emit) {
  emit({ op: 'INCREMENT' })
}

export function add({ by }, emit) {
  emit({ op: 'ADD', by })
}

export function echo(params) {
  return params
}

export function fail() {
  throw new Error('fail() always fails')
}

export const apply = {
  async INCREMENT(tx) {
    const entry = await tx.get('/counter')
    tx.put('/counter', (entry ? entry.value : 0) + 1)
  },
  async ADD(tx, op) {
    assert(Number.isSafeInteger(op.by) && op.by > 0, 'by must be a positive whole number')
    const entry = await tx.get('/counter')
    tx.put('/counter', (entry ? entry.value : 0) + op.by)
  },
}
`

/** The JSON document a --json run printed (shape checked by the assertions that use it). */
function json(run: Run): any {
  return JSON.parse(run.stdout)
}

function assertOneLineError(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`)
  const lines = run.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`)
  assert.match(lines[0], /^glassbox: /)
  assert.match(lines[0], pattern)
}

describe('glassbox CLI (direct)', () => {
  let tmp: string
  let dir: string
  let contractFile: string
  let key: string
  let mainKey: string
  const gb = (...args: string[]) => glassbox([...args, '--dir', dir], tmp)

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-cli-'))
    dir = path.join(tmp, 'db')
    contractFile = path.join(tmp, 'counter.js')
    await writeFile(contractFile, COUNTER)
  })

  after(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  test('--version, --help and per-command help', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8'))
    const version = await glassbox(['--version'], tmp)
    assert.equal(version.code, 0)
    assert.equal(version.stdout.trim(), pkg.version)

    const help = await glassbox(['--help'], tmp)
    assert.equal(help.code, 0)
    for (const name of ['init', 'call', 'get', 'list', 'history', 'info', 'source', 'serve']) {
      assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'))
    }

    const callHelp = await glassbox(['call', '-h'], tmp)
    assert.equal(callHelp.code, 0)
    assert.match(callHelp.stdout, /glassbox call <method> \[--name value\]\.\.\. \[--name:json JSON\]\.\.\. \[--params JSON\]/)
    assert.match(callHelp.stdout, /--no-wait/)
  })

  test('init creates a database and prints its key and oplog keys', async () => {
    const run = await glassbox(['init', contractFile, '--dir', dir, '--json'], tmp)
    assert.equal(run.code, 0, run.stderr)
    const out = json(run)
    assert.match(out.key, /^[0-9a-f]{64}$/)
    assert.deepEqual(Object.keys(out.oplogs), ['main'])
    mainKey = out.oplogs.main
    assert.match(mainKey, /^[0-9a-f]{64}$/)
    assert.deepEqual(out.inputs, [mainKey])
    assert.deepEqual([...out.contract.methods].sort(), ['add', 'echo', 'fail', 'get', 'increment'])
    key = out.key
    assert.ok(existsSync(path.join(dir, 'manifest.json')))

    const again = await glassbox(['init', contractFile, '--dir', dir], tmp)
    assertOneLineError(again, 2, /already holds a database/)
  })

  test('init defaults to ./.glassbox and prints text; several oplogs or none', async () => {
    const run = await glassbox(['init', 'counter.js'], tmp)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^created database [0-9a-f]{64}$/m)
    assert.match(run.stdout, /^oplog main [0-9a-f]{64}$/m)
    assert.ok(existsSync(path.join(tmp, '.glassbox', 'manifest.json')))

    const two = json(await glassbox(['init', contractFile, '--dir', path.join(tmp, 'two'), '--oplog', 'a', '--oplog', 'b', '--input', mainKey, '--json'], tmp))
    assert.deepEqual(Object.keys(two.oplogs), ['a', 'b'])
    assert.equal(two.inputs.length, 3)
    assert.ok(two.inputs.includes(mainKey))

    const none = json(await glassbox(['init', contractFile, '--dir', path.join(tmp, 'none'), '--no-oplog', '--json'], tmp))
    assert.deepEqual(none.oplogs, {})
    assert.deepEqual(none.inputs, [])
    assert.equal(none.contract.notStatic, null)
    assert.doesNotMatch(run.stdout, /module/)
  })

  test("init says when the contract's module is evaluated for every op, and why", async () => {
    const file = path.join(tmp, 'counted.js')
    await writeFile(file, `const seen = new Map()\nexport function put(params, emit) { emit({ op: 'PUT' }) }\nexport const apply = { PUT(tx) { tx.put('/n', seen.size) } }\n`)
    const run = await glassbox(['init', file, '--dir', path.join(tmp, 'counted')], tmp)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^  module evaluated for every op \(not static\): .*new Map\(\)/m)
    const out = json(await glassbox(['init', file, '--dir', path.join(tmp, 'counted-json'), '--json'], tmp))
    assert.match(out.contract.notStatic, /new Map\(\)/)
  })

  test('call emits an op, waits for it and prints its outcome', async () => {
    const run = await gb('call', 'increment')
    assert.equal(run.code, 0, run.stderr)
    // increment() answers null: the op's outcome is the whole output.
    assert.match(run.stdout, new RegExp(`^op ${mainKey.slice(0, 8)}…/0: ok \\(index \\d+\\)\\n$`))

    const second = json(await gb('call', 'increment', '--json'))
    assert.equal(second.method, 'increment')
    assert.equal(second.ops.length, 1)
    assert.equal(second.ops[0].origin, mainKey)
    assert.equal(second.ops[0].seq, 1)
    assert.deepEqual(second.ops[0].op, { op: 'INCREMENT' })
    assert.equal(second.ops[0].outcome.success, true)
    assert.deepEqual(second.ops[0].outcome.changes, [{ type: 'put', key: '/counter', value: 2 }])

    const read = await gb('call', 'get')
    assert.equal(read.code, 0, read.stderr)
    assert.equal(read.stdout.trim(), '2')
  })

  test('call builds params from --name value pairs and --params', async () => {
    const pairs = json(await gb('call', 'echo', '--n:json', '5', '--s', 'bob', '--neg:json', '-3', '--list:json', '[1,"x"]', '--q', '5', '--json'))
    assert.deepEqual(pairs.response, { n: 5, s: 'bob', neg: -3, list: [1, 'x'], q: '5' })
    assert.deepEqual(pairs.ops, [])

    const whole = json(await gb('call', 'echo', '--params', '{"a":{"b":true}}', '--c', 'd', '--json'))
    assert.deepEqual(whole.response, { a: { b: true }, c: 'd' })

    const added = await gb('call', 'add', '--params', '{"by":3}')
    assert.equal(added.code, 0, added.stderr)
    assert.equal((await gb('get', '/counter')).stdout.trim(), '5')
  })

  test('an op the contract rejects: the outcome says why and the exit code is 1', async () => {
    const run = await gb('call', 'add', '--by:json', '-1')
    assert.equal(run.code, 1, run.stderr)
    assert.match(run.stdout, /^op [0-9a-f]{8}…\/\d+: failed: .*by must be a positive whole number.* \(index \d+\)$/m)

    const viaJson = await gb('call', 'add', '--by:json', '0', '--json')
    assert.equal(viaJson.code, 1)
    const out = json(viaJson)
    assert.equal(out.ops[0].outcome.success, false)
    assert.match(out.ops[0].outcome.error, /by must be a positive whole number/)
    assert.deepEqual(out.ops[0].outcome.changes, [])
  })

  test('a contract method that throws gives one clear line and exit code 2', async () => {
    const run = await gb('call', 'fail')
    assertOneLineError(run, 2, /fail\(\) always fails/)

    const viaJson = await gb('call', 'fail', '--json')
    assert.equal(viaJson.code, 2)
    const out = json(viaJson)
    assert.equal(typeof out.error.code, 'string')
    assert.match(out.error.message, /fail\(\) always fails/)
  })

  test('call --no-wait publishes without waiting; the next command processes the op', async () => {
    const run = await gb('call', 'increment', '--no-wait', '--json')
    assert.equal(run.code, 0, run.stderr)
    const out = json(run)
    assert.equal(out.ops.length, 1)
    assert.equal(out.ops[0].outcome, null)
    assert.match((await gb('call', 'increment', '--no-wait')).stdout, /published, not waited for/)
    assert.equal((await gb('get', '/counter')).stdout.trim(), '7')
  })

  test('get prints a value; a missing key exits 1', async () => {
    const found = await gb('get', '/counter', '--json')
    assert.equal(found.code, 0)
    assert.deepEqual(json(found), { key: '/counter', found: true, value: 7 })

    const missing = await gb('get', '/nothing')
    assert.equal(missing.code, 1)
    assert.equal(missing.stdout, '')
    assert.match(missing.stderr, /no value at "\/nothing"/)
    assert.deepEqual(json(await gb('get', '/nothing', '--json')), { key: '/nothing', found: false, value: null })
  })

  test('list prints entries under a prefix, hiding .sys/ unless asked', async () => {
    const all = await gb('list')
    assert.equal(all.code, 0)
    assert.equal(all.stdout.trim(), '/counter  7')

    const sys = json(await gb('list', '.sys/', '--json'))
    assert.equal(sys.prefix, '.sys/')
    const keys = sys.entries.map((e: { key: string }) => e.key)
    assert.ok(keys.includes(`.sys/inputs/${mainKey}`))
    assert.ok(keys.includes('.sys/contract/source'))

    const last = json(await gb('list', '.sys/', '--limit', '1', '--reverse', '--json'))
    assert.deepEqual(last.entries, [sys.entries.at(-1)])
  })

  test('history prints index entries and oplog ops, with ranges', async () => {
    const index = await gb('history')
    assert.equal(index.code, 0, index.stderr)
    const lines = index.stdout.trimEnd().split('\n')
    assert.match(lines[0], /^0 +\.sys\/header +header: protocol glassbox\/3/)
    assert.match(lines[1], /^1 +\.sys\/contract\/source +contract source, \d+ bytes/)
    assert.match(index.stdout, /\.sys\/acks\/genesis/)
    assert.match(index.stdout, new RegExp(`\\.sys/acks/${mainKey}/0 +ok: put /counter 1`))
    assert.match(index.stdout, /failed: .*by must be a positive whole number/)

    const all = json(await gb('history', '--json'))
    assert.equal(all.kind, 'index')
    assert.equal(all.items.length, lines.length)
    const op = all.items.find((i: { entry: { type: string } }) => i.entry.type === 'op')
    assert.match(op.entry.ack.oplogHash, /^[0-9a-f]{64}$/, 'bytes print as hex')

    const last = json(await gb('history', '--start=-1', '--json'))
    assert.equal(last.items.length, 1)
    assert.equal(last.items[0].seq, all.items.length - 1)

    const ops = json(await gb('history', 'main', '--start', '0', '--end', '2', '--json'))
    assert.equal(ops.kind, 'oplog')
    assert.equal(ops.log, mainKey)
    assert.equal(ops.name, 'main')
    assert.deepEqual(
      ops.items.map((i: { op: unknown }) => i.op),
      [{ op: 'INCREMENT' }, { op: 'INCREMENT' }],
    )
    const byKey = await gb('history', mainKey, '--end', '1')
    assert.equal(byKey.stdout.trim(), '0  {"op":"INCREMENT"}')

    const unknown = await gb('history', 'nope')
    assertOneLineError(unknown, 2, /no oplog named "nope"/)
  })

  test('info describes the database', async () => {
    const text = await gb('info')
    assert.equal(text.code, 0)
    assert.match(text.stdout, new RegExp(`^database +${key}$`, 'm'))
    assert.match(text.stdout, /^served +no/m)
    assert.match(text.stdout, /^module +static: evaluated once per sandbox/m)
    const out = json(await gb('info', '--json'))
    assert.equal(out.contract.notStatic, null)
    assert.equal(out.key, key)
    assert.equal(out.protocol, 'glassbox/3')
    assert.equal(out.executor, true)
    assert.equal(out.server, null)
    assert.deepEqual(out.inputs, [mainKey])
    assert.equal(out.oplogs[0].length, 7)
  })

  test('source prints the contract as stored', async () => {
    const text = await gb('source')
    assert.equal(text.code, 0)
    assert.equal(text.stdout, COUNTER)
    const out = json(await gb('source', '--json'))
    assert.equal(out.source, COUNTER)
    assert.equal(out.bytes, Buffer.byteLength(COUNTER))
  })

  test('usage errors give one line and exit code 2', async () => {
    assertOneLineError(await glassbox(['frobnicate'], tmp), 2, /unknown command "frobnicate"/)
    assertOneLineError(await gb('get'), 2, /missing <key>/)
    assertOneLineError(await gb('call'), 2, /missing <method>/)
    assertOneLineError(await gb('call', 'add', '--params', '{by: 1}'), 2, /--params is not valid JSON/)
    assertOneLineError(await gb('call', 'add', '--by'), 2, /--by needs a value/)
    assertOneLineError(await gb('list', '--limit', 'ten'), 2, /--limit must be a whole number/)
    assertOneLineError(await gb('info', '--verbose'), 2, /unknown option --verbose/)
    assertOneLineError(await gb('get', 'a', 'b'), 2, /unexpected argument "b"/)
    assertOneLineError(await glassbox(['init', 'missing.js', '--dir', path.join(tmp, 'x')], tmp), 2, /no contract file at missing\.js/)

    const viaJson = await gb('call', 'add', '--params', 'nope', '--json')
    assert.equal(viaJson.code, 2)
    assert.equal(json(viaJson).error.code, 'USAGE')
  })

  test('a directory without a database is a clear error', async () => {
    const run = await glassbox(['get', '/x', '--dir', path.join(tmp, 'empty'), '--json'], tmp)
    assert.equal(run.code, 2)
    assert.equal(json(run).error.code, 'DATABASE_NOT_FOUND')
    assert.match(run.stderr, /^glassbox: .*glassbox init/)
  })
})
