// Real `glassbox` processes on a private DHT, for fault tests: executors, participants and monitors
// each in their own process and directory, killed and restarted at will. Every process a test
// starts is killed when the test ends, pass or fail, before its directories are removed.

import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import type { CallOutput, HistoryOutput, InfoOutput } from '../../src/net/methods.js'
import type { VerifyReport } from '../../src/verify/monitor.js'
import type { Checkpoint } from '../../src/verify/checkpoint.js'
import { IpcClient } from '../../src/cli/ipc/client.js'
import { CLI, childEnv } from './cli.js'
import { eventually } from './network.js'

/** How a process ended: its exit code, or the signal that ended it. */
export type Exit = number | NodeJS.Signals

/** A long-running command (serve, monitor) whose stdout is one JSON document per line. */
export class GlassboxProcess {
  readonly child: ChildProcessWithoutNullStreams
  /** The stdout lines so far, parsed. */
  readonly lines: Record<string, unknown>[] = []
  private stdout = ''
  private stdoutText = ''
  private stderrText = ''
  private exit: Exit | null = null
  readonly exited: Promise<Exit>
  private readonly listeners = new Set<() => void>()

  constructor(
    readonly args: string[],
    cwd: string,
  ) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd, env: childEnv() })
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderrText += d))
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.stdoutText += d
      this.stdout += d
      let nl
      while ((nl = this.stdout.indexOf('\n')) !== -1) {
        const line = this.stdout.slice(0, nl)
        this.stdout = this.stdout.slice(nl + 1)
        if (line.trim() === '') continue
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>)
        } catch {
          this.lines.push({ unparsed: line })
        }
        this.notify()
      }
    })
    // 'close', not 'exit': by then stdout is read to its end.
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = code ?? signal ?? 'SIGKILL'
        this.notify()
        resolve(this.exit)
      })
    })
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  get running(): boolean {
    return this.exit === null
  }

  /** Everything the process wrote to stdout so far (a one-shot command's indented document). */
  output(): string {
    return this.stdoutText
  }

  stderr(): string {
    return this.stderrText
  }

  /** What a failure message should show of this process. */
  describe(): string {
    return `glassbox ${this.args.join(' ')} (pid ${this.pid}, ${this.running ? 'running' : `exited ${this.exit}`})\nstdout: ${tail(this.stdoutText)}\nstderr: ${tail(this.stderrText)}`
  }

  /** Resolves with the first line (seen so far or later) that `accept` takes; fails if the process exits first. */
  waitForLine(accept: (line: Record<string, unknown>) => boolean, what: string, ms = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.find(accept)
        if (found) return done(() => resolve(found))
        if (!this.running) done(() => reject(new Error(`waiting until ${what}, the process ended:\n${this.describe()}`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${ms} ms waiting until ${what}:\n${this.describe()}`))), ms)
      const done = (settle: () => void) => {
        clearTimeout(timer)
        this.listeners.delete(check)
        settle()
      }
      this.listeners.add(check)
      check()
    })
  }

  /** Sends `signal` (when still running) and resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.running) this.child.kill(signal)
    return this.exited
  }

  /** Freezes the process (SIGSTOP): its sockets stay open but nothing answers; `resume` thaws it. */
  pause(): void {
    if (this.running) this.child.kill('SIGSTOP')
  }

  resume(): void {
    if (this.running) this.child.kill('SIGCONT')
  }

  private notify(): void {
    for (const l of [...this.listeners]) l()
  }
}

/** The end of a long output, for failure messages. */
function tail(text: string, chars = 4000): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`
}

/** A served directory: the `serve` process now holding it and its ready line. */
export interface Served {
  name: string
  dir: string
  /** The arguments `serve` was started with, to restart it the same way. */
  serveArgs: string[]
  serve: GlassboxProcess
  ready: { key: string; socket: string; pid: number; swarm: boolean; executor: boolean }
}

export interface ExecutorPeer extends Served {
  key: string
  /** The executor directory's own oplog (the admin of kv-store). */
  admin: string
}

export interface ParticipantPeer extends Served {
  /** The participant's oplog, an input of the database once the admin added it. */
  pubkey: string
}

/** One test's processes and directories on a shared private DHT. */
export class TestNetwork {
  private readonly processes = new Set<GlassboxProcess>()

  private constructor(
    /** The temporary directory every peer's directory is made in (also the processes' cwd). */
    readonly root: string,
    /** `--bootstrap` for every process. */
    readonly bootstrap: string,
  ) {}

  /** A network for test `t`; its processes are killed and its directory removed when `t` ends. */
  static async start(t: TestContext, bootstrap: string): Promise<TestNetwork> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'glassbox-faults-'))
    const net = new TestNetwork(root, bootstrap)
    t.after(async () => {
      // A test that failed mid-way leaves its writers running: without a stop they would go on
      // retrying against dead servers and keep the test process alive forever.
      for (const writer of net.writers) writer.halt()
      await net.killAll()
      await Promise.all([...net.writers].map((w) => w.finished()))
      await rm(root, { recursive: true, force: true })
    })
    return net
  }

  path(name: string): string {
    return path.join(this.root, name)
  }

  /** Writers to halt when the test ends. */
  private readonly writers = new Set<Writer>()

  track(writer: Writer): void {
    this.writers.add(writer)
  }

  /** Starts a long-running command (tracked: killed when the test ends). */
  spawn(args: string[]): GlassboxProcess {
    const proc = new GlassboxProcess(args, this.root)
    this.processes.add(proc)
    void proc.exited.then(() => this.processes.delete(proc))
    return proc
  }

  /** Runs a one-shot command to its end; it is killed (ending with SIGKILL) after `ms`. */
  async finish(args: string[], ms = 30_000): Promise<GlassboxProcess> {
    const proc = this.spawn(args)
    const timer = setTimeout(() => void proc.kill(), ms)
    await proc.exited
    clearTimeout(timer)
    return proc
  }

  /**
   * Runs a one-shot `--json` command that must exit with `code` (default 0) and returns its document.
   * One-shot commands print one indented document; it is read whole from stdout.
   */
  async json<T>(args: string[], opts: { timeoutMs?: number; code?: number } = {}): Promise<T> {
    const proc = await this.finish([...args, '--json'], opts.timeoutMs)
    const code = await proc.exited
    const expected = opts.code ?? 0
    assert.equal(code, expected, `exited ${code}, expected ${expected}: ${proc.describe()}`)
    try {
      return JSON.parse(proc.output()) as T
    } catch (err) {
      throw new Error(`no JSON document (${(err as Error).message}): ${proc.describe()}`)
    }
  }

  /** Starts `serve` with `args` and waits for its ready line. */
  async serve(name: string, args: string[]): Promise<Served> {
    const dir = this.path(name)
    const serveArgs = ['serve', '--dir', dir, ...args, '--json']
    const serve = this.spawn(serveArgs)
    const ready = (await serve.waitForLine((l) => l.ready === true, `${name} is serving`, 20_000)) as unknown as Served['ready']
    return { name, dir, serveArgs, serve, ready }
  }

  /** Starts the same `serve` again (after it was killed); the peer now points at the new process. */
  async restart(peer: Served): Promise<void> {
    assert.equal(peer.serve.running, false, `${peer.name} is still running`)
    const serve = this.spawn(peer.serveArgs)
    peer.ready = (await serve.waitForLine((l) => l.ready === true, `${peer.name} is serving again`, 20_000)) as unknown as Served['ready']
    peer.serve = serve
  }

  /** A kv-store database in `name`, served on the DHT, whose own oplog claimed the admin. */
  async executor(name: string): Promise<ExecutorPeer> {
    const dir = this.path(name)
    const init = await this.json<{ key: string; oplogs: { main: string } }>(['init', path.resolve('examples/kv-store.js'), '--dir', dir])
    const served = await this.serve(name, ['--bootstrap', this.bootstrap])
    assert.equal(served.ready.key, init.key)
    assert.equal(served.ready.executor, true)
    const claimed = await this.json<CallOutput>(['call', 'claimAdmin', '--dir', dir])
    assert.equal(claimed.ops[0]?.outcome?.success, true, JSON.stringify(claimed))
    return { ...served, key: init.key, admin: init.oplogs.main }
  }

  /** Serves an existing executor directory (made in-process, say) on the DHT. */
  async serveExecutor(name: string): Promise<Served> {
    const served = await this.serve(name, ['--bootstrap', this.bootstrap])
    assert.equal(served.ready.executor, true)
    return served
  }

  /** Joins the database from `name`, has the admin add it, serves it, and waits until it sees itself added. */
  async participant(executor: ExecutorPeer, name: string): Promise<ParticipantPeer> {
    const dir = this.path(name)
    // join exits 0 only once it fetched the index.
    const joined = await this.json<{ key: string; oplog: { pubkey: string } }>(['join', executor.key, '--dir', dir, '--bootstrap', this.bootstrap])
    assert.equal(joined.key, executor.key)
    const added = await this.json<CallOutput>(['call', 'addParticipant', '--pubkey', joined.oplog.pubkey, '--dir', executor.dir])
    assert.equal(added.ops[0]?.outcome?.success, true, JSON.stringify(added))
    // No flags: a joined directory goes online with the network it joined on.
    const served = await this.serve(name, [])
    assert.equal(served.ready.executor, false)
    const pubkey = joined.oplog.pubkey
    await eventually(async () => (await this.info(dir)).inputs.includes(pubkey), `${name} sees itself added`, 30_000)
    return { ...served, pubkey }
  }

  /** `monitor KEY --dir name` following the database over the DHT. */
  monitor(key: string, name: string): GlassboxProcess {
    return this.spawn(['monitor', key, '--dir', this.path(name), '--bootstrap', this.bootstrap, '--json'])
  }

  info(dir: string): Promise<InfoOutput> {
    return this.json<InfoOutput>(['info', '--dir', dir])
  }

  /** The local length of oplog `name` of a directory (through its server when one runs). */
  async oplogLength(dir: string, name = 'main'): Promise<number> {
    const found = (await this.info(dir)).oplogs.find((o) => o.name === name)
    assert.ok(found, `${dir} has an oplog named ${name}`)
    return found.length
  }

  /** `verify --dir dir` (through its server when one runs), which must find the logs valid. */
  async verifyLocal(dir: string, extra: string[] = []): Promise<VerifyReport> {
    const report = await this.json<VerifyReport>(['verify', '--dir', dir, ...extra])
    assert.equal(report.valid, true, `verify --dir ${dir}: ${JSON.stringify(report.breach)}`)
    return report
  }

  /** The ops acknowledged in the executor's index, per oplog, in index order. */
  async acks(dir: string): Promise<Acks> {
    const history = await this.json<HistoryOutput>(['history', 'index', '--dir', dir], { timeoutMs: 60_000 })
    return acksOf(history)
  }

  /** The ops of an oplog as the executor's directory holds them (by seq). */
  async ops(dir: string, pubkey: string): Promise<Map<number, unknown>> {
    const history = await this.json<HistoryOutput>(['history', pubkey, '--dir', dir], { timeoutMs: 60_000 })
    const items = history.items as unknown as { seq: number; op: unknown }[]
    return new Map(items.map((i) => [i.seq, i.op]))
  }

  /** A kv-store `put` through the server of `dir` (a `call` process); its output, or null when the command failed. */
  async put(dir: string, key: string, value: number | string, opts: { wait: boolean }): Promise<CallOutput | null> {
    const proc = await this.finish(['call', 'put', '--key', key, '--value:json', JSON.stringify(value), '--dir', dir, ...(opts.wait ? [] : ['--no-wait']), '--json'], 45_000)
    if ((await proc.exited) !== 0) return null
    return JSON.parse(proc.output()) as CallOutput
  }

  /** Kills every process of the network that still runs. */
  async killAll(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.kill('SIGKILL')))
  }
}

export interface WriterOptions {
  /** Calls at a time. */
  workers: number
  /** Wait for each op's ack (else return once it is published: `--no-wait`). */
  wait: boolean
  /** Keys are `${prefix}-${n}`. */
  prefix: string
  /** Stop after this many calls (default: when told to). */
  max?: number
  value?: (n: number) => number | string
  /**
   * 'cli': each call is a `glassbox call` process; 'socket': the test process sends the calls on the
   * server's socket itself, one connection per worker (no process start per call, so much faster).
   */
  via?: 'cli' | 'socket'
  /** A pause between one worker's calls, in ms. */
  pauseMs?: number
}

/** A writer: puts through one participant's server, `workers` calls at a time, until told to stop. */
export class Writer {
  /** Outputs of the calls that succeeded, in the order they returned. */
  readonly done: CallOutput[] = []
  /** Calls that failed (the server went away under them, say). */
  failed = 0
  readonly errors: string[] = []
  /** When each call in `done` started and returned (Date.now()). */
  readonly spans: { start: number; end: number }[] = []
  /** When each call still in flight started. */
  private readonly pending = new Set<{ start: number }>()
  private stopped = false
  private readonly loops: Promise<void>[] = []

  constructor(net: TestNetwork, target: Served, opts: WriterOptions) {
    net.track(this)
    let next = 0
    for (let w = 0; w < opts.workers; w++) {
      this.loops.push(
        (async () => {
          let client: IpcClient | null = null
          try {
            while (!this.stopped && (opts.max === undefined || next < opts.max)) {
              const n = next++
              const key = `${opts.prefix}-${n}`
              const value = opts.value ? opts.value(n) : n
              const start = Date.now()
              const inFlight = { start }
              this.pending.add(inFlight)
              const succeeded = (out: CallOutput) => {
                this.done.push(out)
                this.spans.push({ start, end: Date.now() })
              }
              if (opts.via === 'socket') {
                try {
                  client ??= await IpcClient.connect(target.ready.socket)
                  if (!client) throw new Error(`no server on ${target.ready.socket}`)
                  succeeded((await client.request('call', { method: 'put', params: { key, value }, wait: opts.wait })) as CallOutput)
                } catch (err) {
                  this.failed++
                  this.errors.push((err as Error).message)
                  client?.close()
                  client = null
                }
              } else {
                const out = await net.put(target.dir, key, value, { wait: opts.wait })
                if (out) succeeded(out)
                else this.failed++
              }
              this.pending.delete(inFlight)
              if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs))
            }
          } finally {
            client?.close()
          }
        })(),
      )
    }
  }

  /** Resolves once `n` calls have returned successfully. */
  async reached(n: number, what: string, ms = 30_000): Promise<void> {
    await eventually(() => this.done.length >= n, what, ms)
  }

  /**
   * Resolves once a call is in flight. Called while the server's executor is down (and after the
   * calls in transit at the kill have had time to return), it means a call is blocked behind it.
   */
  async blocked(what: string, ms = 30_000): Promise<void> {
    await eventually(() => this.pending.size > 0, what, ms)
  }

  /** Stops starting calls and waits for the ones in flight. */
  async stop(): Promise<void> {
    this.halt()
    await Promise.all(this.loops)
  }

  /** Stops starting calls, without waiting for the ones in flight. */
  halt(): void {
    this.stopped = true
  }

  /** Waits until every call (bounded by `max`) has returned. */
  async finished(): Promise<void> {
    await Promise.all(this.loops)
  }

  /** The (seq, op) of every published op the calls reported, and the index its ack is at when waited for. */
  published(): { origin: string; seq: number; op: unknown; index: number | null }[] {
    return this.done.flatMap((c) => c.ops.map((o) => ({ origin: o.origin, seq: o.seq, op: o.op, index: o.outcome?.index ?? null })))
  }
}

/** Acked ops: per oplog, the seqs in index order, and where each (origin, seq) sits in the index. */
export interface Acks {
  seqs: Map<string, number[]>
  at: Map<string, number>
  /** Index length the history was read at. */
  length: number
  failed: { origin: string; seq: number; error: string }[]
}

export function acksOf(history: HistoryOutput): Acks {
  const seqs = new Map<string, number[]>()
  const at = new Map<string, number>()
  const failed: Acks['failed'] = []
  const items = history.items as unknown as { seq: number; entry: { type: string; ack?: { origin: string; seq: number; success: boolean; error: string | null } } }[]
  for (const item of items) {
    const ack = item.entry.ack
    if (item.entry.type !== 'op' || !ack) continue
    const list = seqs.get(ack.origin) ?? []
    list.push(ack.seq)
    seqs.set(ack.origin, list)
    at.set(`${ack.origin}/${ack.seq}`, item.seq)
    if (!ack.success) failed.push({ origin: ack.origin, seq: ack.seq, error: ack.error ?? '' })
  }
  return { seqs, at, length: items.length, failed }
}

/** 0, 1, ... n-1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

/** Fails unless the oplog's ops were each acknowledged exactly once, in order: seqs 0..length-1. */
export function assertProcessedOnce(acks: Acks, origin: string, length: number, who: string): void {
  const got = acks.seqs.get(origin) ?? []
  assert.deepEqual(got, range(length), `${who}: the index acks seqs ${summarize(got)} of its oplog of length ${length}`)
}

/** Every op a call reported as processed sits where the executor's index acknowledges it. */
export function assertOutcomesMatch(acks: Acks, writer: Writer, who: string): void {
  for (const p of writer.published()) {
    if (p.index === null) continue
    assert.equal(acks.at.get(`${p.origin}/${p.seq}`), p.index, `${who}: op ${p.seq} was reported at index ${p.index}`)
  }
}

function summarize(seqs: number[]): string {
  return seqs.length <= 12 ? `[${seqs.join(',')}]` : `[${seqs.slice(0, 6).join(',')} … ${seqs.slice(-6).join(',')}] (${seqs.length})`
}

/** A monitor's latest `{verified}` line, or -1. */
export function lastVerified(monitor: GlassboxProcess): number {
  for (let i = monitor.lines.length - 1; i >= 0; i--) {
    const v = monitor.lines[i].verified
    if (typeof v === 'number') return v
  }
  return -1
}

/** Fails if a monitor printed a breach. */
export function assertNoBreach(monitor: GlassboxProcess): void {
  const breach = monitor.lines.find((l) => 'breach' in l)
  assert.equal(breach, undefined, `the monitor reported a breach: ${JSON.stringify(breach)}\n${monitor.describe()}`)
}

/** The checkpoint a monitor keeps in its directory (written by rename, so never torn), or null before its first. */
export async function readMonitorCheckpoint(dir: string): Promise<Checkpoint | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'monitor.json'), 'utf8')) as Checkpoint
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}
