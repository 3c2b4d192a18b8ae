// A loaded contract. Ops run on a long-lived (warm) sandbox for speed; the canonical outcome of an
// op is what a fresh sandbox in a pristine module produces, so whenever the warm run trips a limit,
// spends more than half its gas, meets a full heap, or ends with the warm heap grown past half its
// size, the op is run again in the canonical module (see ModuleHost) and that result is returned.
// A VM made by deferred() loads its source only when ready() is first awaited.

import { CallError } from '../errors.js'
import type { CompileCache } from './compile-cache.js'
import { toGuestJson } from './host-json.js'
import { utf8Bytes } from './keys.js'
import { resolveLimits } from './limits.js'
import { loadContract, newSourceProblem } from './load.js'
import { ModuleHost, sharedModuleHost } from './module-host.js'
import { prepareTransform } from './transform.js'
import { Sandbox, type RunOutcome, type Runner } from './sandbox.js'
import { Session, type RunMode } from './session.js'
import type { AckInput, ApplyResult, CallContext, CallResult, Json, Limits, StateReader } from './types.js'

export interface ContractVMOptions {
  limits?: Partial<Limits>
  /** Where the compiled source is kept between runs (compile-cache.ts): only a directory trusted with what runs here. */
  compileCache?: CompileCache
}

interface Run {
  session: Session
  outcome: RunOutcome
}

/** What loading the source gave: where its sandboxes live, its factory, and its exports. */
interface Loaded {
  host: ModuleHost
  /** The factory came from the compile cache, not from compiling the source now. */
  fromCache: boolean
  factory: string
  notStatic: string | null
  methods: string[]
  hasProcess: boolean
  hasAuthorize: boolean
}

export class ContractVM {
  readonly limits: Limits
  private loaded: Loaded | null = null
  private loading: Promise<void> | null = null
  private warm: Sandbox | null = null
  private disposed = false
  private readonly compileCache: CompileCache | null

  private constructor(
    readonly source: string,
    opts: ContractVMOptions | undefined,
  ) {
    this.limits = resolveLimits(opts?.limits)
    this.compileCache = opts?.compileCache ?? null
  }

  /** Throws ContractError (CONTRACT_INVALID, CONTRACT_TOO_LARGE) when the source cannot be loaded. */
  static async create(source: string, opts?: ContractVMOptions): Promise<ContractVM> {
    const vm = new ContractVM(source, opts)
    await vm.ready()
    return vm
  }

  /**
   * A VM that loads its source only when ready() is first awaited: opening a database that runs no
   * op (a read, a verify) then never pays for compiling the contract and booting its modules.
   * Until then isReady is false, and methods, apply() and call() throw.
   */
  static deferred(source: string, opts?: ContractVMOptions): ContractVM {
    return new ContractVM(source, opts)
  }

  static async validateSource(source: string, opts?: ContractVMOptions): Promise<void> {
    const limits = resolveLimits(opts?.limits)
    loadContract(source, limits, (await ModuleHost.create(limits.memoryBytes)).canonicalPlace()).sandbox.dispose()
  }

  /** validateSource without awaiting, once loadQuickJS() has resolved. */
  static validateSourceSync(source: string, opts?: ContractVMOptions): void {
    loadContract(source, resolveLimits(opts?.limits), sharedModuleHost().canonicalPlace()).sandbox.dispose()
  }

  /** Exported functions other than apply and process, sorted. */
  get methods(): string[] {
    return this.contract().methods
  }

  /** Whether the loaded factory was read from the compile cache (compile-cache.ts) rather than compiled. */
  get compiledFromCache(): boolean {
    return this.contract().fromCache
  }

  get hasProcess(): boolean {
    return this.contract().hasProcess
  }

  /**
   * Why the contract's module is evaluated for every op; null when it is static, evaluated once per
   * sandbox with its top level frozen (docs/protocol.md §6.2).
   */
  get notStatic(): string | null {
    return this.contract().notStatic
  }

  /**
   * False until the source is loaded, and while a module is being replaced; apply() and call()
   * then throw until ready() resolves.
   */
  get isReady(): boolean {
    return this.loaded !== null && this.loaded.host.isReady
  }

  /** Loads the source if need be; resolves once ops can run. Throws ContractError as create() does. */
  async ready(): Promise<void> {
    this.loading ??= this.load()
    await this.loading
    await this.contract().host.ready()
  }

  private async load(): Promise<void> {
    const compilable = typeof this.source === 'string' && utf8Bytes(this.source) <= this.limits.maxSourceBytes
    const cached = compilable ? (this.compileCache?.read(this.source) ?? null) : null
    // Compiled here, asynchronously: esbuild's synchronous API costs a worker thread per process.
    if (compilable && !cached) await prepareTransform(this.source)
    const host = await ModuleHost.create(this.limits.memoryBytes)
    const place = host.warmPlace()
    if (place === null) throw new Error('a new ModuleHost has no warm module')
    const { factory, notStatic, shape, sandbox } = loadContract(this.source, this.limits, place, cached ?? undefined)
    // Written once the module loaded: a source that does not load is never kept.
    if (!cached) this.compileCache?.write(this.source, { factory, notStatic })
    this.loaded = { host, fromCache: cached !== null, factory, notStatic, methods: Object.freeze([...shape.methods]) as string[], hasProcess: shape.hasProcess, hasAuthorize: shape.hasAuthorize }
    if (this.disposed) sandbox.dispose()
    else this.warm = sandbox
  }

  private contract(): Loaded {
    if (this.loaded === null) throw new Error('this ContractVM is not loaded yet: await ready() first')
    return this.loaded
  }

  /**
   * The op's outcome. Throws StoreIntegrityError, never an outcome, when `state` answered a read
   * with a value its root does not commit to (the contract never sees that read).
   */
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
    // process() may be non-deterministic by design (its result is recorded), so a warm run stands.
    const warm = this.warmSandbox()
    const { factory, host } = this.contract()
    const sandbox = warm ?? Sandbox.create(factory, this.limits, host.canonicalPlace())
    const outcome = sandbox.run(new Session('process', this.limits, null), 'process', [input.text])
    if (warm === null) sandbox.dispose()
    else if (sandbox.damaged) this.dropWarm()
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

  /**
   * Whether the contract answers `query` (a method and its params) for `identity` (the hex key that
   * signed it): its authorize() must return exactly true. A contract without authorize answers every
   * query (its state is public). A failure of authorize, or a limit it trips, is a refusal.
   */
  authorize(query: { method: string; params: Json }, identity: string, state: StateReader): boolean {
    if (!this.contract().hasAuthorize) return true
    const input = toGuestJson(query, 'the query', this.limits.maxOpBytes, 'maxOpBytes')
    if ('error' in input) return false
    const { outcome } = this.canonicalRun('call', state, 'authorize', [input.text, identity], false)
    return outcome.ok && outcome.text === 'true'
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
      const problem = newSourceProblem(factory, this.limits, this.contract().host.canonicalPlace())
      if (problem !== null) return failure(`setContractSource: ${problem}`, outcome.gas)
    }
    return { success: true, error: null, changes: session.changes, gas: outcome.gas }
  }

  private canonicalRun(mode: RunMode, state: StateReader, runner: Runner, args: string[], freshOnly: boolean): Run {
    const warm = freshOnly ? null : this.warmSandbox()
    const { factory, host } = this.contract()
    if (warm !== null) {
      const session = new Session(mode, this.limits, state)
      // A warm run that spends more than half the gas does not count, so it stops there.
      const outcome = warm.run(session, runner, args, Math.ceil(this.limits.gas / 2))
      const tooFull = host.warmTooFull()
      if (warm.damaged || tooFull) this.dropWarm()
      if (tooFull) host.retireWarm()
      // A host fault is no limit: a fresh sandbox would read the same lying store. No outcome stands.
      if (session.fault !== null) throw session.fault
      if (outcome.limit === null && !outcome.nearLimit && !tooFull) return { session, outcome }
    }
    const fresh = Sandbox.create(factory, this.limits, host.canonicalPlace())
    try {
      const session = new Session(mode, this.limits, state)
      const outcome = fresh.run(session, runner, args)
      if (session.fault !== null) throw session.fault
      return { session, outcome }
    } finally {
      fresh.dispose()
    }
  }

  /** The warm sandbox, made when needed; null while the warm module is being replaced. */
  private warmSandbox(): Sandbox | null {
    if (this.disposed) throw new Error('this ContractVM is disposed')
    if (this.warm === null) {
      const { factory, host } = this.contract()
      const place = host.warmPlace()
      if (place !== null) this.warm = Sandbox.create(factory, this.limits, place)
    }
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
