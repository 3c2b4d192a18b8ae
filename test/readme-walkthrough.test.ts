// The README's walkthroughs, run as written: the five-minute tutorial and the three terminals. Every
// command runs (`npx glassbox` is this checkout's CLI), every output sample (`# -> …`) must match
// what the command printed, and the keys the samples name are used by the later commands, as a
// reader would copy them. The only change is the port numbers, swapped for free ones.

import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { test, type TestContext } from 'node:test'
import { childEnv, CLI } from './helpers/cli.js'
import { blocks, samplePattern, section, steps, words, type ReadmeSection, type ScriptStep } from './helpers/readme-script.js'

const README = readFileSync('README.md', 'utf8')
/** Subcommands that run until stopped: started, watched until their sample shows, stopped at the end. */
const LONG_RUNNING = new Set(['serve', 'monitor', 'dht'])

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

function sameJson(sample: string, output: string): boolean {
  try {
    assert.deepEqual(JSON.parse(output), JSON.parse(sample))
    return true
  } catch {
    return false
  }
}

interface Running {
  command: string
  child: ChildProcess
  output: () => string
  exited: Promise<number | string | null>
}

class Walkthrough {
  readonly known = new Map<string, string>()
  private readonly ports = new Map<string, string>()
  private readonly running: Running[] = []

  constructor(readonly cwd: string) {}

  /** Gives every port the section names a free one instead. */
  async mapPorts(s: ReadmeSection): Promise<void> {
    for (const [, port] of s.text.matchAll(/(?:127\.0\.0\.1:|localhost:|--http |--port )(\d{4,5})/g)) {
      if (!this.ports.has(port)) this.ports.set(port, String(await freePort()))
    }
  }

  private substitute(text: string): string {
    let out = text
    for (const [from, to] of this.ports) out = out.replace(new RegExp(`\\b${from}\\b`, 'g'), to)
    return out
  }

  private command(step: ScriptStep): string[] {
    let line = this.substitute(step.command)
    for (const [name, value] of this.known) line = line.replaceAll(`<${name}>`, value)
    assert.doesNotMatch(line, /<[A-Z]+>/, `"${step.command}" uses a key no earlier sample named`)
    return words(line)
  }

  /** Finds each sample in the output's lines; learns the keys it names. Returns the samples not seen yet. */
  private match(step: ScriptStep, output: string): string[] {
    const lines = output.split('\n').map((l) => l.trim())
    const missing: string[] = []
    for (const sample of step.samples) {
      // A JSON sample is compared as JSON with the whole output (`--json` prints it indented).
      if (sample.startsWith('{')) {
        if (!sameJson(sample, output)) missing.push(sample)
        continue
      }
      const { re, names } = samplePattern(this.substitute(sample), this.known)
      const full = new RegExp(`^${re.source}$`)
      const hit = lines.map((l) => full.exec(l)).find((m) => m !== null)
      if (!hit) {
        missing.push(sample)
        continue
      }
      names.forEach((name, i) => this.known.set(name, hit[i + 1]))
    }
    return missing
  }

  async run(step: ScriptStep): Promise<void> {
    const argv = this.command(step)
    if (argv[0] === 'curl') return this.curl(step, argv)
    const cli = argv[0] === 'npx' ? argv.slice(1) : argv
    assert.equal(cli[0], 'glassbox', `"${step.command}" is a glassbox command`)
    const args = [CLI, ...cli.slice(1)]
    const child = spawn(process.execPath, args, { cwd: this.cwd, env: childEnv() })
    let output = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d))
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)))
    if (step.background || LONG_RUNNING.has(cli[1])) {
      this.running.push({ command: step.command, child, output: () => output, exited })
      // Up once it printed its sample (or anything, when the README shows none).
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (step.samples.length === 0 ? output.length > 0 : this.match(step, output).length === 0) {
            child.stdout!.off('data', check)
            child.stderr!.off('data', check)
            resolve()
          }
        }
        child.stdout!.on('data', check)
        child.stderr!.on('data', check)
        void exited.then((code) => reject(new Error(`"${step.command}" exited (${code}) before it showed ${JSON.stringify(step.samples)}:\n${output}`)))
        // A bound for the failure message only; the wait itself ends on the output.
        setTimeout(() => reject(new Error(`"${step.command}" did not show ${JSON.stringify(step.samples)} in 60 s:\n${output}`)), 60_000).unref()
      })
      return
    }
    const bound = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await exited
    clearTimeout(bound)
    assert.equal(code, 0, `"${step.command}" exits 0; it printed:\n${output}`)
    assert.deepEqual(this.match(step, output), [], `"${step.command}" prints what the README shows; it printed:\n${output}`)
  }

  private async curl(step: ScriptStep, argv: string[]): Promise<void> {
    const target = argv.find((a) => /^(https?:\/\/)?(localhost|127\.0\.0\.1):\d+/.test(a))
    assert.ok(target, `"${step.command}" names a local URL`)
    const res = await fetch(target.startsWith('http') ? target : `http://${target}`)
    const body = await res.text()
    assert.equal(res.status, 200, `"${step.command}" answers 200: ${body}`)
    assert.deepEqual(this.match(step, body), [], `"${step.command}" answers what the README shows; it answered:\n${body}`)
  }

  /** Stops what is still running, as a reader would with Ctrl-C; each must still have been up. */
  async stop(): Promise<void> {
    for (const r of this.running.reverse()) {
      assert.equal(r.child.exitCode, null, `"${r.command}" was still running at the end; it printed:\n${r.output()}`)
      r.child.kill('SIGINT')
      await r.exited
    }
    this.running.length = 0
  }

  kill(): void {
    for (const r of this.running) r.child.kill('SIGKILL')
  }
}

async function walkthrough(t: TestContext): Promise<Walkthrough> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'glassbox-readme-'))
  const walk = new Walkthrough(cwd)
  t.after(async () => {
    walk.kill()
    await rm(cwd, { recursive: true, force: true })
  })
  return walk
}

test('README: the five-minute tutorial runs as written and prints what it shows', { timeout: 120_000 }, async (t) => {
  const s = section(README, 'A five-minute tutorial')
  const walk = await walkthrough(t)
  const [contract] = blocks(s).filter((b) => b.lang === 'js')
  assert.match(contract.before, /`counter\.js`/, 'the first JavaScript block is counter.js')
  await writeFile(path.join(walk.cwd, 'counter.js'), contract.body)
  await walk.mapPorts(s)
  const script = steps(s)
  assert.ok(script.length >= 6, 'the tutorial has its commands')
  for (const step of script) await walk.run(step)
  await walk.stop()

  // The TypeScript block, run as a module of this package (so `import … from 'glassbox'` resolves to it).
  const [ts] = blocks(s).filter((b) => b.lang === 'ts')
  const snippet = path.resolve('dist', `readme-snippet-${process.pid}.mjs`)
  await writeFile(snippet, ts.body)
  t.after(() => rm(snippet, { force: true }))
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn(process.execPath, [snippet], { cwd: walk.cwd, env: childEnv() })
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d))
    child.on('close', (code) => resolve({ code, text }))
  })
  assert.equal(out.code, 0, out.text)
  for (const [, shown] of ts.body.matchAll(/console\.log\([^\n]*\/\/\s*(.+)$/gm)) {
    assert.ok(out.text.includes(shown.trim()), `the TypeScript block prints ${shown.trim()}; it printed:\n${out.text}`)
  }
})

test('README: the confidential database runs as written', { timeout: 120_000 }, async (t) => {
  const [contract] = blocks(section(README, 'A five-minute tutorial')).filter((b) => b.lang === 'js')
  const s = section(README, 'Confidential databases')
  const walk = await walkthrough(t)
  await writeFile(path.join(walk.cwd, 'counter.js'), contract.body)
  const script = steps(s)
  assert.ok(script.length >= 6, 'the section has its commands')
  for (const step of script) await walk.run(step)
  await walk.stop()
})

test('README: the three terminals run as written, across processes on a private DHT', { timeout: 180_000 }, async (t) => {
  const s = section(README, 'Across machines: three terminals')
  const walk = await walkthrough(t)
  // The walkthrough runs from the clone, where examples/ is.
  await cp(path.resolve('examples'), path.join(walk.cwd, 'examples'), { recursive: true })
  await walk.mapPorts(s)
  const script = steps(s)
  assert.ok(script.length >= 10, 'the walkthrough has its commands')
  for (const step of script) await walk.run(step)
  await walk.stop()
  assert.ok(walk.known.has('DBKEY') && walk.known.has('ALICE'), 'the samples named the database and Alice')
})
