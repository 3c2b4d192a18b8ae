// The package as a user gets it: `npm pack`, installed from the tarball into an empty prefix (its
// dependencies come from the npm registry), and the installed `glassbox` run in a directory far
// from the clone. Everything the command reads at run time (the QuickJS WebAssembly module, the
// worker entry points, package.json, the examples) must come from the installed package.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'

const REPO = process.cwd()

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env.GLASSBOX_DEBUG
    const child = spawn(command, args, { cwd, env })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r
}

let tmp = ''
let prefix = ''
let bin = ''
let installed = ''

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-install-'))
  assert.ok(path.relative(REPO, tmp).startsWith('..'), `the temporary directory ${tmp} must lie outside the clone ${REPO}`)
  // The suite's build just ran (pretest:long), so packing skips prepack's second build.
  const pack = ok(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO), 'npm pack')
  const [{ filename }] = JSON.parse(pack.stdout) as { filename: string }[]
  prefix = path.join(tmp, 'prefix')
  await mkdir(prefix)
  ok(await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, filename)], tmp), 'npm install')
  bin = path.join(prefix, 'node_modules', '.bin', 'glassbox')
  installed = path.join(prefix, 'node_modules', 'glassbox')
})

after(() => rm(tmp, { recursive: true, force: true }))

test('the tarball holds the built command, the contract types, the examples and the docs, and no tests', async () => {
  for (const file of ['dist/src/cli/main.js', 'dist/src/vm/fuel/quickjs-metered.wasm', 'types/contract.d.ts', 'examples/counter.js', 'docs/contracts.md', 'docs/protocol.md', 'README.md']) {
    await access(path.join(installed, file))
  }
  // npm may nest a dependency under the package; everything else is what `files` ships.
  const top = (await readdir(installed)).filter((name) => name !== 'node_modules').sort()
  assert.deepEqual(top, ['README.md', 'dist', 'docs', 'examples', 'package.json', 'types'])
  assert.deepEqual(await readdir(path.join(installed, 'dist')), ['src'])
})

test('the installed glassbox prints its help outside the clone', async () => {
  const help = ok(await run(bin, ['--help'], tmp), 'glassbox --help')
  assert.match(help.stdout, /^Usage: glassbox <command>/m)
  const version = ok(await run(bin, ['--version'], tmp), 'glassbox --version')
  assert.match(version.stdout, /0\.\d+\.\d+/)
})

test('the installed glassbox creates a database, calls it and reads it, in a directory outside the clone', async () => {
  const work = path.join(tmp, 'work')
  await mkdir(work)
  // The example ships in the package: the contract comes from there, not from the clone.
  const contract = path.join(installed, 'examples', 'counter.js')
  const init = JSON.parse(ok(await run(bin, ['init', contract, '--json'], work), 'glassbox init').stdout) as { dir: string; contract: { methods: string[] } }
  assert.equal(init.dir, path.join(work, '.glassbox'))
  assert.deepEqual(init.contract.methods, ['get', 'increment'])
  ok(await run(bin, ['call', 'increment', '--params', '{"by":3}'], work), 'glassbox call increment')
  const get = JSON.parse(ok(await run(bin, ['get', '/count', '--json'], work), 'glassbox get').stdout) as { value: number }
  assert.equal(get.value, 3)
  const verify = ok(await run(bin, ['verify'], work), 'glassbox verify')
  assert.match(verify.stdout, /valid/)
})

test('the installed glassbox runs a TypeScript contract (bundled by the esbuild it installed)', async () => {
  const work = path.join(tmp, 'ts')
  await mkdir(work)
  await writeFile(
    path.join(work, 'hello.ts'),
    `type Op = { op: 'SET'; text: string }
export function set(params: { text: string }, emit: (op: Op) => void): void { emit({ op: 'SET', text: params.text }) }
export const apply = { SET(tx: { put(key: string, value: string): void }, op: Op) { tx.put('/text', op.text) } }
`,
  )
  ok(await run(bin, ['init', 'hello.ts'], work), 'glassbox init hello.ts')
  ok(await run(bin, ['call', 'set', '--params', '{"text":"hi"}'], work), 'glassbox call set')
  const get = JSON.parse(ok(await run(bin, ['get', '/text', '--json'], work), 'glassbox get').stdout) as { value: string }
  assert.equal(get.value, 'hi')
})

test('the installed package is importable as a library', async () => {
  const script = "import('glassbox').then((m) => console.log(typeof m.Database, typeof m.bundleContract))"
  const r = ok(await run(process.execPath, ['--input-type=module', '-e', script], prefix), 'import glassbox')
  assert.equal(r.stdout.trim(), 'function function')
})
