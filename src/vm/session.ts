// The host side of one run (one apply, call, process or module load): what the contract may read,
// the changes or ops it produced, and the first mutation it was refused. The sandbox's host
// functions delegate here.

import { randomUUID } from '../codec/primitives.js'
import { StoreIntegrityError } from '../errors.js'
import { compileContract } from './compile.js'
import { INPUTS_PREFIX, SOURCE_KEY, SYS_PREFIX, isPubkey, keyProblem, utf8Bytes } from './keys.js'
import { DELETED, listKeys, readKey, type Overlay } from './overlay.js'
import type { ApplyState, Change, Json, Limits, ListOptions, StateReader } from './types.js'

export type RunMode = 'apply' | 'call' | 'process' | 'load'

export interface Refusal {
  message: string
  /** 'limit': a size or count limit; 'internal': an error that may come from a VM limit (out of memory). */
  cause: 'rule' | 'limit' | 'internal'
}

export class Session {
  readonly overlay: Overlay = new Map()
  readonly changes: Change[] = []
  readonly ops: Json[] = []
  /** Contract sources this op set, each already compiled; the caller loads them once the op is over. */
  readonly newSources: { source: string; factory: string }[] = []
  /** The first refused mutation: it fails the run even if the contract caught the error. */
  refusal: Refusal | null = null
  /**
   * A read the state store answered wrongly (docs/protocol.md §5.5): a fault of this host, not
   * an outcome of the contract. The sandbox ends the run where it happened, and ContractVM throws
   * it instead of returning an outcome.
   */
  fault: StoreIntegrityError | null = null

  constructor(
    readonly mode: RunMode,
    readonly limits: Limits,
    private readonly state: StateReader | null,
  ) {}

  get(key: string): string | null {
    const value = this.read((state) => readKey(state, this.overlay, key))
    return value === undefined ? null : JSON.stringify(value)
  }

  list(prefix: string, optsText: string): string {
    const opts = JSON.parse(optsText) as ListOptions
    return JSON.stringify(this.read((state) => listKeys(state, this.overlay, prefix, opts)))
  }

  oplogs(): string {
    const entries = this.read((state) => listKeys(state, this.overlay, INPUTS_PREFIX, {}))
    const pubkeys = entries.map((e) => e.key.slice(INPUTS_PREFIX.length)).filter(isPubkey)
    return JSON.stringify(pubkeys.map((pubkey) => ({ pubkey })))
  }

  put(key: string, valueText: string): void {
    this.requireApply('tx.put()')
    this.checkWritable(key)
    const bytes = utf8Bytes(valueText)
    if (bytes > this.limits.maxValueBytes) {
      this.refuse(`the value of ${key} is ${bytes} bytes of JSON, over the ${this.limits.maxValueBytes}-byte limit (maxValueBytes)`, true)
    }
    this.record({ type: 'put', key, value: JSON.parse(valueText) as Json })
  }

  del(key: string): void {
    this.requireApply('tx.delete()')
    this.checkWritable(key)
    this.record({ type: 'del', key })
  }

  sys(kind: string, arg: string): void {
    this.requireApply('tx system mutators')
    if (kind === 'source') return this.setSource(arg)
    if (!isPubkey(arg)) this.refuse(`an oplog pubkey is 64 lowercase hex characters, got ${JSON.stringify(String(arg).slice(0, 80))}`, false)
    const key = INPUTS_PREFIX + arg
    if (kind === 'add') {
      const system = this.systemRole(arg)
      if (system !== null) this.refuse(`addOplog: ${arg} is ${system}, not a participant oplog`, false)
      return this.record({ type: 'put', key, value: { pubkey: arg } })
    }
    if (this.read((state) => readKey(state, this.overlay, key)) === undefined) this.refuse(`oplog ${arg} is not an input`, false)
    this.record({ type: 'del', key })
  }

  emit(opText: string): void {
    if (this.mode !== 'call') throw new Error('emit() works only in API calls')
    const bytes = utf8Bytes(opText)
    if (bytes > this.limits.maxOpBytes) {
      this.refuse(`the emitted op is ${bytes} bytes of JSON, over the ${this.limits.maxOpBytes}-byte limit (maxOpBytes)`, true)
    }
    if (this.ops.length >= this.limits.maxChanges) {
      this.refuse(`the call emits more than ${this.limits.maxChanges} ops (maxChanges)`, true)
    }
    this.ops.push(JSON.parse(opText) as Json)
  }

  uuid(): string {
    if (this.mode !== 'call') throw new Error('genUUID() is available only in API calls')
    return randomUUID()
  }

  /** A refusal noticed in the guest (e.g. a value that is not JSON): recorded, then thrown back. */
  fail(kind: number, text: string): never {
    this.refusal ??= { message: text, cause: kind === 2 ? 'internal' : 'rule' }
    throw new Error(text)
  }

  private setSource(code: string): void {
    let factory: string
    try {
      factory = compileContract(code, this.limits.maxSourceBytes)
    } catch (err) {
      return this.refuse(`setContractSource: ${(err as Error).message}`, false)
    }
    this.newSources.push({ source: code, factory })
    this.record({ type: 'put', key: SOURCE_KEY, value: code })
  }

  private record(change: Change): void {
    if (this.changes.length >= this.limits.maxChanges) {
      this.refuse(`the op makes more than ${this.limits.maxChanges} changes (maxChanges)`, true)
    }
    this.changes.push(change)
    this.overlay.set(change.key, change.type === 'put' ? change.value : DELETED)
  }

  private checkWritable(key: string): void {
    const problem = keyProblem(key, this.limits.maxKeyBytes)
    if (problem !== null) this.refuse(problem, problem.includes('maxKeyBytes'))
    if (key.startsWith(SYS_PREFIX)) {
      this.refuse(`cannot write ${key}: keys under ${SYS_PREFIX} belong to the system (use addOplog, removeOplog, setContractSource)`, false)
    }
  }

  /** Runs a state read, recording a wrong answer of the state store as this run's fault. */
  private read<T>(f: (state: StateReader) => T): T {
    const state = this.readable()
    try {
      return f(state)
    } catch (err) {
      if (err instanceof StoreIntegrityError) this.fault ??= err
      throw err
    }
  }

  /** What `pubkey` is to the database if it is one of its own logs (docs/protocol.md §5.2), else null. */
  private systemRole(pubkey: string): string | null {
    const keys = (this.state as Partial<ApplyState> | null)?.systemKeys
    if (keys === undefined) return null
    if (pubkey === keys.index) return "this database's own index log"
    if (pubkey === keys.signer) return "the key that signs this database's index log"
    return null
  }

  private readable(): StateReader {
    if (this.state === null) throw new Error(`state is not readable in ${this.mode === 'process' ? 'process()' : 'this phase'}`)
    return this.state
  }

  private requireApply(what: string): void {
    if (this.mode !== 'apply') throw new Error(`${what} works only inside apply()`)
  }

  private refuse(message: string, limit: boolean): never {
    this.refusal ??= { message, cause: limit ? 'limit' : 'rule' }
    throw new Error(message)
  }
}
