// A loaded contract. Ops run on a long-lived (warm) sandbox for speed; the canonical outcome of an
// op is what a freshly created sandbox produces, so whenever the warm run trips a limit or comes
// within one gas tick of it, the op is run again in a fresh sandbox and that result is returned.

import { CallError } from '../errors.js'
import { toGuestJson } from './host-json.js'
import { resolveLimits } from './limits.js'
import { loadContract, newSourceProblem } from './load.js'
import { ModuleHost, sharedModuleHost } from './module-host.js'
import { Sandbox, type RunOutcome, type Runner } from './sandbox.js'
import { Session, type RunMode } from './session.js'
import type { AckInput, ApplyResult, CallContext, CallResult, Json, Limits, StateReader } from './types.js'

export interface ContractVMOptions {
  limits?: Partial<Limits>
}

interface Run {
  session: Session
  outcome: RunOutcome
}

export class ContractVM {
  readonly methods: string[]
  readonly hasProcess: boolean
  private warm: Sandbox | null
  private disposed = false

  private constructor(
    readonly source: string,
    readonly limits: Limits,
    private readonly host: ModuleHost,
    private readonly factory: string,
    shape: { methods: string[]; hasProcess: boolean },
    sandbox: Sandbox,
  ) {
    this.methods = Object.freeze([...shape.methods]) as string[]
    this.hasProcess = shape.hasProcess
    this.warm = sandbox
  }

  /** Throws ContractError (CONTRACT_INVALID, CONTRACT_TOO_LARGE) when the source cannot be loaded. */
  static async create(source: string, opts?: ContractVMOptions): Promise<ContractVM> {
    const limits = resolveLimits(opts?.limits)
    const host = await ModuleHost.create(limits.memoryBytes)
    const { factory, shape, sandbox } = loadContract(source, limits, host)
    return new ContractVM(source, limits, host, factory, shape, sandbox)
  }

  static async validateSource(source: string, opts?: ContractVMOptions): Promise<void> {
    const limits = resolveLimits(opts?.limits)
    loadContract(source, limits, await ModuleHost.create(limits.memoryBytes)).sandbox.dispose()
  }

  /** validateSource without awaiting, once loadQuickJS() has resolved. */
  static validateSourceSync(source: string, opts?: ContractVMOptions): void {
    loadContract(source, resolveLimits(opts?.limits), sharedModuleHost()).sandbox.dispose()
  }

  apply(op: Json, ack: AckInput, state: StateReader): ApplyResult {
    return this.applyWith(op, ack, state, false)
  }

  /** apply() in a brand-new sandbox: the canonical outcome, for a judge checking one op. */
  applyFresh(op: Json, ack: AckInput, state: StateReader): ApplyResult {
    return this.applyWith(op, ack, state, true)
  }

  process(op: Json): Json {
    const input = toGuestJson(op, 'the op', this.limits.maxOpBytes, 'maxOpBytes')
    if ('error' in input) throw new CallError('PROCESS_FAILED', input.error)
    const sandbox = this.warmSandbox()
    const outcome = sandbox.run(new Session('process', this.limits, null), 'process', [input.text])
    if (sandbox.damaged) this.dropWarm()
    if (!outcome.ok) throw new CallError(outcome.limit !== null || outcome.hostLimit ? 'LIMIT_EXCEEDED' : 'PROCESS_FAILED', outcome.text)
    return JSON.parse(outcome.text) as Json
  }

  call(method: string, params: Json, ctx: CallContext): CallResult {
    if (!this.methods.includes(method)) {
      const known = this.methods.length > 0 ? this.methods.join(', ') : 'none'
      throw new CallError('METHOD_NOT_FOUND', `the contract has no method ${JSON.stringify(method)} (its methods: ${known})`)
    }
    const input = toGuestJson(params === undefined ? null : params, 'params', this.limits.maxOpBytes, 'maxOpBytes')
    if ('error' in input) throw new CallError('CALL_FAILED', `${method}(): ${input.error}`)
    const caller = toGuestJson({ isWriter: ctx.isWriter, oplog: ctx.oplog }, 'the caller')
    if ('error' in caller) throw new CallError('CALL_FAILED', `${method}(): ${caller.error}`)
    const { session, outcome } = this.canonicalRun('call', ctx.state, 'call', [method, input.text, caller.text], false)
    if (!outcome.ok) {
      const code = outcome.limit !== null || outcome.hostLimit ? 'LIMIT_EXCEEDED' : 'CALL_FAILED'
      throw new CallError(code, `${method}(): ${outcome.text}`)
    }
    return { response: JSON.parse(outcome.text) as Json, ops: session.ops }
  }

  dispose(): void {
    this.disposed = true
    this.dropWarm()
  }

  private applyWith(op: Json, ack: AckInput, state: StateReader, fresh: boolean): ApplyResult {
    const opText = toGuestJson(op, 'the op', this.limits.maxOpBytes, 'maxOpBytes')
    if ('error' in opText) return failure(opText.error, 0)
    const ackText = ackJson(ack)
    if ('error' in ackText) return failure(ackText.error, 0)
    const { session, outcome } = this.canonicalRun('apply', state, 'apply', [opText.text, ackText.text], fresh)
    if (!outcome.ok) return failure(outcome.text, outcome.gas)
    for (const { factory } of session.newSources) {
      const problem = newSourceProblem(factory, this.limits, this.host)
      if (problem !== null) return failure(`setContractSource: ${problem}`, outcome.gas)
    }
    return { success: true, error: null, changes: session.changes, gas: outcome.gas }
  }

  private canonicalRun(mode: RunMode, state: StateReader, runner: Runner, args: string[], freshOnly: boolean): Run {
    if (!freshOnly) {
      const warm = this.warmSandbox()
      const session = new Session(mode, this.limits, state)
      const outcome = warm.run(session, runner, args)
      const settled = outcome.limit === null && !outcome.nearGas
      if (warm.damaged) this.dropWarm()
      if (settled) return { session, outcome }
    }
    const fresh = Sandbox.create(this.factory, this.limits, this.host)
    const session = new Session(mode, this.limits, state)
    const outcome = fresh.run(session, runner, args)
    if (this.warm === null && !fresh.damaged && !this.disposed) this.warm = fresh
    else fresh.dispose()
    return { session, outcome }
  }

  private warmSandbox(): Sandbox {
    if (this.disposed) throw new Error('this ContractVM is disposed')
    this.warm ??= Sandbox.create(this.factory, this.limits, this.host)
    return this.warm
  }

  private dropWarm(): void {
    this.warm?.dispose()
    this.warm = null
  }
}

function failure(error: string, gas: number): ApplyResult {
  return { success: false, error, changes: [], gas }
}

function ackJson(ack: AckInput): { text: string } | { error: string } {
  if (typeof ack.origin !== 'string') return { error: 'ack.origin must be a string' }
  if (!Number.isSafeInteger(ack.seq) || ack.seq < 0) return { error: 'ack.seq must be a non-negative integer' }
  if (!Number.isFinite(ack.ts)) return { error: 'ack.ts must be a finite number of milliseconds' }
  return toGuestJson({ origin: ack.origin, seq: ack.seq, ts: ack.ts, metadata: ack.metadata ?? null }, 'ack')
}
