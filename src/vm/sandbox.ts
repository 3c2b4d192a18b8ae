// One QuickJS runtime and context with the guest program loaded and the realm frozen: runs apply,
// call, process or a module load, meters them, and reports how they ended. It knows nothing of
// warm or fresh; ContractVM decides when a run must be repeated in a new sandbox.
// Metering is the module's fuel counter (fuel/instrument.ts): set to the run's budget before the
// run, charged by QuickJS's own loops and by the host calls below. Running out traps the module
// wherever it is; the sandbox is then dead and its module is restored (ModuleHost).

import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core'
import { ContractError } from '../errors.js'
import { CONTRACT_FILENAME, isStaticFactory } from './compile.js'
import { GUEST_SOURCE } from './guest/source.js'
import { JobRunner } from './jobs.js'
import { FUEL_PER_GAS, HOST_CALL_FUEL, HOST_KIB_FUEL } from './fuel/costs.js'
import { UNMETERED_FUEL } from './fuel/instrument.js'
import { compileStackBytes } from './limits.js'
import type { SandboxPlace } from './module-host.js'
import type { Session } from './session.js'
import type { Limits } from './types.js'

export type Runner = 'apply' | 'call' | 'authorize' | 'process' | 'describe'
export type LimitKind = 'gas' | 'memory' | 'stack' | 'sandbox'

export interface RunOutcome {
  ok: boolean
  /** The result's JSON text when ok (empty for apply), else the error message. */
  text: string
  /** The VM limit that ended the run; a warm VM's verdict on it is not canonical. */
  limit: LimitKind | null
  /** A host-side size or count limit refused a mutation (deterministic, no re-run needed). */
  hostLimit: boolean
  /** Gas spent, in units of the gas limit (fuel rounded up). */
  gas: number
  /**
   * The run spent more than half its gas, or the heap refused to grow: a warm module's heap is laid
   * out differently from a pristine one, so only a canonical run's verdict on such a run counts.
   */
  nearLimit: boolean
}

interface Result {
  /** The runner's outcome string: a kind digit then the result's JSON text or an error message. */
  settled: string | null
  /** What escaped the runner (an uncatchable interrupt, or an error while it handled one). */
  thrown: string | null
  /** The host side failed while talking to QuickJS. */
  broken: unknown
}

const RUNNERS: readonly Runner[] = ['apply', 'call', 'authorize', 'process', 'describe']

/** Jobs left behind by a finished run are run (with host access cut) at most this many at a time. */
const MAX_LEFTOVER_JOBS = 10_000

/** Longest error text an outcome keeps; the rest is cut, with a marker saying how long it was. */
export const MAX_ERROR_CHARS = 1024


export class Sandbox {
  /** True once the sandbox may carry something from a past run into the next (a tripped limit, stuck jobs). */
  damaged = false
  private readonly runners = new Map<Runner, QuickJSHandle>()
  private readonly jobs: JobRunner
  private session: Session | null = null
  private budget = 0
  private gasExceeded = false
  /** A trap unwound the module mid-run: nothing of this sandbox may be touched again. */
  private trapped = false
  /**
   * What evaluating a static module cost the run that did it (fuel, counted from the run's start).
   * Later runs use that instance; each is charged the same again, so that a warm run is cut off at
   * half its gas as if it had evaluated the module itself, as a canonical run does.
   */
  private instanceFuel: number | null = null
  /** The fuel left when the running host call was made. */
  private fuelAtCall = 0
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

  /**
   * Runs one runner. `gas` may cut the run short of the session's limit (a warm run that spends
   * more than half of it is run again anyway); the outcome still speaks of the session's limit.
   */
  run(session: Session, runner: Runner, args: readonly string[], gas = session.limits.gas): RunOutcome {
    if (this.disposed || this.trapped) throw new Error('the sandbox is disposed')
    this.session = session
    const refusedBefore = this.place.refusedGrowth
    this.startMetering(gas)
    if (this.instanceFuel !== null) this.charge(this.instanceFuel)
    let result: Result = { settled: null, thrown: null, broken: null }
    try {
      result = this.execute(session, runner, args)
    } catch (err) {
      result = this.trap(err)
    }
    const spent = this.stopMetering()
    this.session = null
    // The fuel may have run out inside a call the library made and swallowed the trap of: the
    // module is not to be trusted after any exhaustion.
    if (this.gasExceeded && !this.trapped) this.trap(null)
    const outOfMemory = this.place.refusedGrowth > refusedBefore
    const outcome = this.classify(session, runner, result, spent, outOfMemory)
    // A run cut short by a host fault may have left anything behind, as one a limit cut short.
    if (outcome.limit !== null || outOfMemory || session.fault !== null) this.damaged = true
    else this.discardJobs(session.limits.gas)
    return outcome
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    // A trapped module is restored as a whole; its runtime's structures are not to be walked.
    if (this.trapped) return
    for (const h of this.runners.values()) if (h.alive) h.dispose()
    this.runners.clear()
    // JS_FreeRuntime aborts (a WebAssembly RuntimeError) if QuickJS leaked an object; the module
    // keeps working afterwards, only this runtime's memory stays behind (see ModuleHost).
    try {
      this.jobs.dispose()
      if (this.context.alive) this.context.dispose()
      if (this.runtime.alive) this.runtime.dispose()
    } catch {
      this.place.spoilt()
    }
  }

  /** What escaped QuickJS: out of fuel, or a fault. Either way the module's state is spoilt. */
  private trap(err: unknown): Result {
    if (this.trapped) return { settled: null, thrown: null, broken: err }
    this.trapped = true
    this.damaged = true
    if (this.place.fuel.value < 0) this.gasExceeded = true
    this.place.spoilt()
    return { settled: null, thrown: null, broken: err }
  }

  private boot(factorySource: string, limits: Limits): void {
    const { context, runtime } = this
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
    const isStatic = isStaticFactory(factorySource) ? context.true : context.false
    const result = context.callFunction(guest, context.undefined, hostFns, factory, isStatic)
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
    // Only string primitives are read: converting anything else would run contract code (a
    // toString) inside the host's unmetered window below. The guest passes nothing else.
    const str = (h: QuickJSHandle | undefined): string => (h !== undefined && ctx.typeof(h) === 'string' ? ctx.getString(h) : '')
    const num = (h: QuickJSHandle | undefined): number => (h === undefined ? 0 : ctx.getNumber(h))
    let textFuel = 0
    const text = (v: string | null): QuickJSHandle => {
      if (v === null) return ctx.null
      textFuel += (v.length >> 10) * HOST_KIB_FUEL
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
      instanced: () => void (this.instanceFuel = this.budget - this.fuelAtCall),
    }
    for (const [name, fn] of Object.entries(fns)) {
      const h = ctx.newFunction(name, (...args) => {
        // What QuickJS does on the host's behalf (copying strings in and out, building an error)
        // is the host's work: it runs unmetered and is charged as a whole once the call is over,
        // so that no trap can happen in the middle of the host's own calls into the module.
        const fuel = this.place.fuel
        const left = fuel.value
        this.fuelAtCall = left
        fuel.value = UNMETERED_FUEL
        textFuel = 0
        try {
          if (this.gasExceeded || this.session?.fault) return undefined
          return fn(...args)
        } catch (err) {
          // The guest is never told what a lying store answered: its run is over (below).
          if (this.session?.fault) return undefined
          return ctx.newError(err instanceof Error ? err.message : String(err))
        } finally {
          fuel.value = left
          // Once the fuel is gone, QuickJS traps at its next loop: the run ends as out of gas. A
          // host fault (a store that lied) takes all of it, so the run ends there, before any of
          // the contract's code (a catch block) can run; ContractVM then throws the fault.
          if (this.session?.fault) fuel.value = -1
          else this.charge(HOST_CALL_FUEL + textFuel)
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

  /** Host-side work: taken from the same fuel; QuickJS traps at its next loop once it is spent. */
  private charge(fuel: number): void {
    const fuelGlobal = this.place.fuel
    fuelGlobal.value -= fuel
    if (fuelGlobal.value < 0) this.gasExceeded = true
  }

  private startMetering(gas: number): void {
    this.budget = gas * FUEL_PER_GAS
    this.gasExceeded = false
    this.place.fuel.value = this.budget
  }

  /** Ends metering and returns the fuel spent (more than the budget when it ran out). */
  private stopMetering(): number {
    const fuel = this.place.fuel
    const spent = this.budget - fuel.value
    // Fuel below zero means a trap, perhaps in a call the library made for the host and swallowed,
    // or a host charge the module did not get to trap on: either way the run is out of gas.
    if (fuel.value < 0) this.gasExceeded = true
    fuel.value = UNMETERED_FUEL
    return spent
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
        this.charge(HOST_CALL_FUEL)
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

  private classify(session: Session, runner: Runner, result: Result, spent: number, outOfMemory: boolean): RunOutcome {
    const { limits } = session
    const gas = Math.ceil(spent / FUEL_PER_GAS)
    const nearLimit = outOfMemory || spent * 2 > limits.gas * FUEL_PER_GAS
    const { settled, thrown, broken } = result
    // Nearly every run: settled ok, nothing refused, faulted or exhausted (the checks below, in short).
    if (settled !== null && thrown === null && broken === null && session.fault === null && session.refusal === null && !this.gasExceeded && !outOfMemory && settled.charCodeAt(0) === 48) {
      return { ok: true, text: settled.slice(1), limit: null, hostLimit: false, gas, nearLimit }
    }
    const base = { hostLimit: false, gas, nearLimit }
    const failed = (text: string, limit: LimitKind | null = null): RunOutcome => ({ ...base, ok: false, text: capError(text), limit })
    const memoryExceeded = () => failed(`memory limit exceeded (${limits.memoryBytes} bytes)`, 'memory')
    const limitOf = (message: string): RunOutcome | null => {
      if (message === 'out of memory') return memoryExceeded()
      if (message.includes('stack overflow')) return failed(`stack limit exceeded (${limits.stackBytes} bytes)`, 'stack')
      return null
    }
    // Not an outcome: ContractVM throws the fault instead (whatever the run did after it).
    if (session.fault !== null) return failed(`the run stopped: ${session.fault.message}`)
    if (this.gasExceeded) return failed(`gas limit exceeded (${limits.gas})`, 'gas')
    if (broken !== null) return failed(`the sandbox failed: ${broken instanceof Error ? broken.message : String(broken)}`, 'sandbox')
    const refusal = session.refusal
    if (refusal !== null && refusal.cause !== 'internal') return { ...failed(refusal.message), hostLimit: refusal.cause === 'limit' }
    // With the heap full, QuickJS may have no memory left to build an error and throws null or an
    // empty message instead, or the contract caught the error and threw its own: a run that failed
    // after the allocator was refused memory failed for want of memory.
    const succeeded = thrown === null && refusal === null && settled !== null && settled.charCodeAt(0) === 48
    if (outOfMemory && !succeeded) return memoryExceeded()
    if (thrown !== null) return limitOf(thrown) ?? failed(thrown)
    if (refusal !== null) return limitOf(refusal.message) ?? failed(refusal.message)
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
  private discardJobs(gas: number): void {
    if (!this.runtime.hasPendingJob()) return
    this.startMetering(gas)
    try {
      for (let i = 0; i < MAX_LEFTOVER_JOBS && !this.gasExceeded && this.runtime.hasPendingJob(); i++) {
        this.charge(HOST_CALL_FUEL)
        const job = this.jobs.runOne()
        if (job.ran && job.error !== null) job.error.dispose()
      }
    } catch (err) {
      this.trap(err)
    } finally {
      this.stopMetering()
    }
    if (this.trapped || this.gasExceeded || this.runtime.hasPendingJob()) this.damaged = true
  }
}

/** An error text cut to MAX_ERROR_CHARS, saying so: entries and acks carry it forever. */
export function capError(text: string): string {
  // The guest cuts a contract's own error the same way; the room keeps its marker from being cut again.
  if (text.length <= MAX_ERROR_CHARS + 64) return text
  return `${text.slice(0, MAX_ERROR_CHARS)}… [error text cut: ${text.length} characters]`
}
