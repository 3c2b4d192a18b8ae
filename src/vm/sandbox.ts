// One QuickJS runtime and context with the guest program loaded and the realm frozen: runs apply,
// call, process or a module load, meters them, and reports how they ended. It knows nothing of
// warm or fresh; ContractVM decides when a run must be repeated in a new sandbox.

import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core'
import { ContractError } from '../errors.js'
import { CONTRACT_FILENAME } from './compile.js'
import { GUEST_SOURCE } from './guest/source.js'
import { JobRunner } from './jobs.js'
import { compileStackBytes } from './limits.js'
import type { SandboxPlace } from './module-host.js'
import type { Session } from './session.js'
import type { Limits } from './types.js'

export type Runner = 'apply' | 'call' | 'process' | 'describe'
export type LimitKind = 'gas' | 'memory' | 'stack' | 'sandbox'

export interface RunOutcome {
  ok: boolean
  /** The result's JSON text when ok (empty for apply), else the error message. */
  text: string
  /** The VM limit that ended the run; a warm VM's verdict on it is not canonical. */
  limit: LimitKind | null
  /** A host-side size or count limit refused a mutation (deterministic, no re-run needed). */
  hostLimit: boolean
  /** Interrupt ticks counted during the run. */
  gas: number
  /** Within one tick of the gas limit: another context could have counted one tick more. */
  nearGas: boolean
}

interface Result {
  /** The runner's outcome string: a kind digit then the result's JSON text or an error message. */
  settled: string | null
  /** What escaped the runner (an uncatchable interrupt, or an error while it handled one). */
  thrown: string | null
  /** The host side failed while talking to QuickJS. */
  broken: unknown
}

const RUNNERS: readonly Runner[] = ['apply', 'call', 'process', 'describe']

/** Jobs left behind by a finished run are run (with host access cut) at most this many at a time. */
const MAX_LEFTOVER_JOBS = 10_000

/**
 * Work the interpreter's ticks do not see: each promise job and each host call costs the host a
 * few microseconds, so HOST_WORK_PER_TICK of them (or of KiB read from state) count as one tick.
 */
const HOST_WORK_PER_TICK = 16

/** What the guest sees of a host fault (Session.fault): not the store's answer, only that the run is over. */
const HALTED = 'interrupted: the host stopped this run'

export class Sandbox {
  /** True once the sandbox may carry something from a past run into the next (a tripped limit, stuck jobs). */
  damaged = false
  private readonly runners = new Map<Runner, QuickJSHandle>()
  private readonly jobs: JobRunner
  private session: Session | null = null
  private metering = false
  private ticks = 0
  private work = 0
  private budget = 0
  private gasExceeded = false
  private disposed = false

  private constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
    private readonly place: SandboxPlace,
  ) {
    this.jobs = new JobRunner(runtime, context)
  }

  /** Throws ContractError when QuickJS cannot compile the factory (esbuild accepted it). */
  static create(factorySource: string, limits: Limits, place: SandboxPlace): Sandbox {
    const runtime = place.module.newRuntime()
    let sandbox: Sandbox | undefined
    try {
      runtime.setMemoryLimit(limits.memoryBytes)
      runtime.setMaxStackSize(compileStackBytes(limits))
      sandbox = new Sandbox(runtime, runtime.newContext(), place)
      sandbox.boot(factorySource, limits)
      return sandbox
    } catch (err) {
      if (sandbox) sandbox.dispose()
      else runtime.dispose()
      throw err
    }
  }

  run(session: Session, runner: Runner, args: readonly string[]): RunOutcome {
    if (this.disposed) throw new Error('the sandbox is disposed')
    this.session = session
    this.startMetering(session.limits.gas)
    let result: Result = { settled: null, thrown: null, broken: null }
    try {
      result = this.execute(session, runner, args)
    } catch (err) {
      result = { settled: null, thrown: null, broken: err }
    } finally {
      this.metering = false
      this.session = null
    }
    const outcome = this.classify(session, runner, result)
    // A run cut short by a host fault may have left anything behind, as one a limit cut short.
    if (outcome.limit !== null || session.fault !== null) this.damaged = true
    else this.discardJobs(session.limits.gas)
    return outcome
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const h of this.runners.values()) if (h.alive) h.dispose()
    this.runners.clear()
    // JS_FreeRuntime aborts (a WebAssembly RuntimeError) if QuickJS leaked an object; the module
    // keeps working afterwards, only this runtime's memory stays behind (see ModuleHost).
    try {
      this.jobs.dispose()
      if (this.context.alive) this.context.dispose()
      if (this.runtime.alive) this.runtime.dispose()
    } catch {
      this.place.leaked()
    }
  }

  private boot(factorySource: string, limits: Limits): void {
    const { context, runtime } = this
    runtime.setInterruptHandler(() => this.onInterrupt())
    const guest = this.evaluate(GUEST_SOURCE, 'glassbox-guest.js')
    let factory: QuickJSHandle
    try {
      factory = this.evaluate(factorySource, CONTRACT_FILENAME)
    } catch (err) {
      guest.dispose()
      throw new ContractError('CONTRACT_INVALID', `contract source does not compile: ${(err as Error).message}`)
    }
    runtime.setMaxStackSize(limits.stackBytes)
    const hostFns = this.hostObject()
    const result = context.callFunction(guest, context.undefined, hostFns, factory)
    guest.dispose()
    factory.dispose()
    hostFns.dispose()
    if (result.error) {
      const message = this.messageOf(result.error)
      result.error.dispose()
      throw new Error(`the sandbox failed to start: ${message}`)
    }
    for (const name of RUNNERS) this.runners.set(name, context.getProp(result.value, name))
    result.value.dispose()
  }

  private evaluate(code: string, filename: string): QuickJSHandle {
    const r = this.context.evalCode(code, filename, { type: 'global', strict: true })
    if (r.error) {
      const message = this.messageOf(r.error)
      r.error.dispose()
      throw new Error(message)
    }
    return r.value
  }

  private hostObject(): QuickJSHandle {
    const ctx = this.context
    const obj = ctx.newObject()
    const str = (h: QuickJSHandle | undefined): string => (h === undefined ? '' : ctx.getString(h))
    const num = (h: QuickJSHandle | undefined): number => (h === undefined ? 0 : ctx.getNumber(h))
    const text = (v: string | null): QuickJSHandle => {
      if (v === null) return ctx.null
      this.charge(v.length >> 10)
      return ctx.newString(v)
    }
    const fns: Record<string, (...args: QuickJSHandle[]) => QuickJSHandle | undefined> = {
      get: (k) => text(this.current().get(str(k))),
      list: (p, o) => text(this.current().list(str(p), str(o))),
      oplogs: () => text(this.current().oplogs()),
      put: (k, v) => void this.current().put(str(k), str(v)),
      del: (k) => void this.current().del(str(k)),
      sys: (kind, arg) => void this.current().sys(str(kind), str(arg)),
      emit: (op) => void this.current().emit(str(op)),
      uuid: () => text(this.current().uuid()),
      fail: (kind, t) => this.current().fail(num(kind), str(t)),
    }
    for (const [name, fn] of Object.entries(fns)) {
      const h = ctx.newFunction(name, (...args) => {
        this.charge(1)
        if (this.gasExceeded) throw new Error('gas limit exceeded')
        if (this.session?.fault) throw new Error(HALTED)
        try {
          return fn(...args)
        } catch (err) {
          // The guest is not told what the store answered: the run is over (see onInterrupt).
          throw this.session?.fault ? new Error(HALTED) : err
        }
      })
      ctx.setProp(obj, name, h)
      h.dispose()
    }
    return obj
  }

  private current(): Session {
    if (this.session === null) throw new Error('this run is over: its pending work may no longer touch the host')
    return this.session
  }

  private onInterrupt(): boolean {
    // After a host fault the run ends at the next check, uncatchably. QuickJS lets a host function
    // throw only catchable errors, so a contract may run a catch block until then, but every host
    // call fails, no job runs and the run gives no outcome (ContractVM throws the fault).
    if (this.session?.fault) return true
    if (!this.metering) return false
    this.ticks++
    if (this.gas() > this.budget) this.gasExceeded = true
    return this.gasExceeded
  }

  private charge(units: number): void {
    this.work += units
    if (this.metering && this.gas() > this.budget) this.gasExceeded = true
  }

  private gas(): number {
    return this.ticks + Math.floor(this.work / HOST_WORK_PER_TICK)
  }

  private startMetering(budget: number): void {
    this.ticks = 0
    this.work = 0
    this.budget = budget
    this.gasExceeded = false
    this.metering = true
  }

  /** Calls the runner, then runs queued jobs until the outcome it promised is settled. */
  private execute(session: Session, runner: Runner, args: readonly string[]): Result {
    const ctx = this.context
    const fn = this.runners.get(runner)
    if (fn === undefined) throw new Error(`no runner ${runner}`)
    const handles = args.map((a) => ctx.newString(a))
    const r = ctx.callFunction(fn, ctx.undefined, handles)
    for (const h of handles) h.dispose()
    if (r.error) {
      const thrown = this.messageOf(r.error)
      r.error.dispose()
      return { settled: null, thrown, broken: null }
    }
    const value = r.value
    try {
      for (;;) {
        const state = ctx.getPromiseState(value)
        if (state.type === 'fulfilled') {
          if (state.notAPromise) return { settled: ctx.getString(value), thrown: null, broken: null }
          try {
            return { settled: ctx.getString(state.value), thrown: null, broken: null }
          } finally {
            state.value.dispose()
          }
        }
        if (state.type === 'rejected') {
          const thrown = this.messageOf(state.error)
          state.error.dispose()
          return { settled: null, thrown, broken: null }
        }
        if (session.refusal !== null || session.fault !== null || this.gasExceeded || !this.runtime.hasPendingJob()) {
          return { settled: null, thrown: null, broken: null }
        }
        this.charge(1)
        const job = this.jobs.runOne()
        if (job.ran && job.error !== null) {
          const thrown = this.messageOf(job.error)
          job.error.dispose()
          return { settled: null, thrown, broken: null }
        }
      }
    } finally {
      value.dispose()
    }
  }

  private messageOf(error: QuickJSHandle): string {
    const ctx = this.context
    try {
      if (ctx.typeof(error) !== 'object') return ctx.getString(error)
      const m = ctx.getProp(error, 'message')
      try {
        return ctx.typeof(m) === 'string' ? ctx.getString(m) : 'unknown error'
      } finally {
        m.dispose()
      }
    } catch {
      return 'unknown error'
    }
  }

  private classify(session: Session, runner: Runner, result: Result): RunOutcome {
    const { limits } = session
    const gas = this.gas()
    const base = { hostLimit: false, gas, nearGas: gas >= limits.gas - 1 }
    const failed = (text: string, limit: LimitKind | null = null): RunOutcome => ({ ...base, ok: false, text, limit })
    const limitOf = (message: string): RunOutcome | null => {
      if (message === 'out of memory') return failed(`memory limit exceeded (${limits.memoryBytes} bytes)`, 'memory')
      if (message.includes('stack overflow')) return failed(`stack limit exceeded (${limits.stackBytes} bytes)`, 'stack')
      if (message === 'interrupted') return failed(`gas limit exceeded (${limits.gas})`, 'gas')
      return null
    }
    const { settled, thrown, broken } = result
    // Not an outcome: ContractVM throws the fault instead (whatever the run did after it).
    if (session.fault !== null) return failed(`the run stopped: ${session.fault.message}`)
    if (broken !== null) return failed(`the sandbox failed: ${broken instanceof Error ? broken.message : String(broken)}`, 'sandbox')
    if (this.gasExceeded) return failed(`gas limit exceeded (${limits.gas})`, 'gas')
    if (thrown !== null) return limitOf(thrown) ?? failed(thrown)
    const refusal = session.refusal
    if (refusal !== null) {
      if (refusal.cause === 'internal') return limitOf(refusal.message) ?? failed(refusal.message)
      return { ...failed(refusal.message), hostLimit: refusal.cause === 'limit' }
    }
    if (settled === null) {
      const what = runner === 'describe' ? 'the module' : `${runner}()`
      return failed(`${what} did not settle: its promise was still pending when no work was left`)
    }
    const kind = settled.charCodeAt(0) - 48
    const text = settled.slice(1)
    if (kind === 0) return { ...base, ok: true, text, limit: null }
    return (kind === 2 ? limitOf(text) : null) ?? failed(text)
  }

  /**
   * Work a finished run left queued (a promise chain nobody awaited) would otherwise run during
   * the next run and spend its gas. It is run now, cut off from the host; if it will not finish,
   * the sandbox is marked damaged and gets replaced.
   */
  private discardJobs(budget: number): void {
    if (!this.runtime.hasPendingJob()) return
    this.startMetering(budget)
    try {
      for (let i = 0; i < MAX_LEFTOVER_JOBS && !this.gasExceeded && this.runtime.hasPendingJob(); i++) {
        this.charge(1)
        const job = this.jobs.runOne()
        if (job.ran && job.error !== null) job.error.dispose()
      }
    } catch {
      this.damaged = true
    } finally {
      this.metering = false
    }
    if (this.gasExceeded || this.runtime.hasPendingJob()) this.damaged = true
  }
}
