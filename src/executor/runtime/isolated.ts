// The host side of `thread` and `process` modes: sends ops to the guest, answers its state reads
// from the state the op runs on, and watches the wall clock. An op past the ceiling, or a guest
// that dies, stops the guest and fails the op with a RuntimeError: the executor then stops and
// records nothing for it (time never decides an outcome, it only raises the alarm).

import { RuntimeError, StoreIntegrityError } from '../../errors.js'
import type { ContractVM } from '../../vm/index.js'
import type { StateReader } from '../../vm/types.js'
import type { ExecuteOptions, OpDraft, OpSource } from '../execute-op.js'
import { errorShape, rebuildError, type GuestMessage, type HostMessage, type ReadReply, type ReadRequest } from './messages.js'
import type { ContractRuntime, RuntimeMode } from './runtime.js'

/** How the host reaches one guest (a worker thread or a child process). */
export interface GuestChannel {
  send(msg: HostMessage): void
  /** Keeps the event loop alive while an op runs (and only then). */
  hold(on: boolean): void
  /** Stops the guest; resolves once it is gone. */
  kill(): Promise<void>
}

export interface ChannelHandlers {
  message(msg: GuestMessage): void
  read(req: ReadRequest): ReadReply
  exit(reason: string): void
}

export type OpenChannel = (handlers: ChannelHandlers) => GuestChannel

interface InFlight {
  src: OpSource
  state: StateReader
  resolve(draft: OpDraft): void
  reject(err: Error): void
  timer: NodeJS.Timeout | null
  /** The op to send once the guest has loaded its VM (starting the guest is not the op's time). */
  exec: HostMessage | null
}

/** Contract VMs the guest keeps loaded: the active one, the one before a switch, and a spare. */
const LOADED_VMS = 3

/** How long starting a guest and loading a contract in it may take (a cold start on a busy machine). */
const LOAD_CEILING_MS = 60_000

export class IsolatedRuntime implements ContractRuntime {
  private channel: GuestChannel | null = null
  private readonly loaded = new Map<ContractVM, number>()
  /** VMs the guest is still loading: ops for them wait, outside the op ceiling. */
  private readonly loading = new Set<number>()
  private nextId = 1
  private inFlight: InFlight | null = null
  private closed = false

  constructor(
    readonly mode: RuntimeMode,
    private readonly open: OpenChannel,
    private readonly ceilingMs: number,
  ) {}

  executeOp(vm: ContractVM, src: OpSource, state: StateReader, opts: ExecuteOptions): Promise<OpDraft> {
    if (this.closed) return Promise.reject(new RuntimeError('RUNTIME_CLOSED', `the ${this.mode} runtime is closed`))
    if (this.inFlight) return Promise.reject(new Error('the runtime runs one op at a time'))
    const channel = this.ensureChannel()
    const id = this.loadedId(channel, vm)
    return new Promise<OpDraft>((resolve, reject) => {
      const exec: HostMessage = { t: 'exec', vm: id, src, opts }
      this.inFlight = { src, state, resolve, reject, timer: null, exec }
      channel.hold(true)
      if (this.loading.has(id)) this.inFlight.timer = setTimeout(() => this.overCeiling('load'), Math.max(LOAD_CEILING_MS, this.ceilingMs))
      else this.sendExec(channel)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    this.settle(new RuntimeError('RUNTIME_CLOSED', `the ${this.mode} runtime was closed while an op ran`))
    const channel = this.channel
    this.channel = null
    await channel?.kill()
  }

  private sendExec(channel: GuestChannel): void {
    const op = this.inFlight
    if (!op || op.exec === null) return
    if (op.timer) clearTimeout(op.timer)
    op.timer = setTimeout(() => this.overCeiling('op'), this.ceilingMs)
    channel.send(op.exec)
    op.exec = null
  }

  /** A guest that died while idle is replaced at the next op; one that died during an op failed it. */
  private ensureChannel(): GuestChannel {
    if (this.channel) return this.channel
    this.loaded.clear()
    this.loading.clear()
    const channel: GuestChannel = this.open({
      message: (msg) => this.onMessage(msg),
      read: (req) => this.onRead(req),
      exit: (reason) => {
        if (this.channel !== channel) return
        this.channel = null
        this.settle(this.died(reason))
      },
    })
    this.channel = channel
    return channel
  }

  private loadedId(channel: GuestChannel, vm: ContractVM): number {
    let id = this.loaded.get(vm)
    if (id !== undefined) {
      this.loaded.delete(vm)
      this.loaded.set(vm, id)
      return id
    }
    id = this.nextId++
    channel.send({ t: 'load', id, source: vm.source, limits: vm.limits })
    this.loaded.set(vm, id)
    this.loading.add(id)
    for (const [old, oldId] of this.loaded) {
      if (this.loaded.size <= LOADED_VMS) break
      channel.send({ t: 'drop', id: oldId })
      this.loaded.delete(old)
    }
    return id
  }

  private onMessage(msg: GuestMessage): void {
    if (msg.t === 'loaded') {
      this.loading.delete(msg.id)
      if (msg.error) this.settle(new RuntimeError('RUNTIME_FAILED', `the ${this.mode} runtime could not load the contract: ${msg.error.message}`))
      else if (this.channel && this.inFlight?.exec?.t === 'exec' && this.inFlight.exec.vm === msg.id) this.sendExec(this.channel)
      return
    }
    if (msg.t === 'done') return this.settle(null, msg.draft)
    const err = rebuildError(msg.error)
    // A lying store is the host's own fault, reported as such whichever side met it.
    this.settle(err instanceof StoreIntegrityError ? err : new RuntimeError('RUNTIME_FAILED', `the ${this.mode} runtime failed: ${err.message}`))
  }

  private onRead(req: ReadRequest): ReadReply {
    const op = this.inFlight
    if (!op) return { error: { name: 'Error', message: 'a state read outside an op' } }
    try {
      return req.t === 'get' ? { value: op.state.get(req.key) } : { entries: op.state.list(req.prefix, req.opts) }
    } catch (err) {
      return { error: errorShape(err) }
    }
  }

  private overCeiling(phase: 'load' | 'op'): void {
    const op = this.inFlight
    if (!op) return
    const err =
      phase === 'op'
        ? new RuntimeError(
            'OP_CEILING',
            `op ${op.src.seq} of oplog ${op.src.origin.slice(0, 8)}… ran past the ${this.ceilingMs} ms ceiling in the ${this.mode} runtime; the runtime was stopped and nothing was recorded for the op`,
          )
        : new RuntimeError('RUNTIME_FAILED', `the ${this.mode} runtime did not load the contract within ${Math.max(LOAD_CEILING_MS, this.ceilingMs)} ms; nothing was recorded for op ${op.src.seq} of oplog ${op.src.origin.slice(0, 8)}…`)
    this.settle(err)
    const channel = this.channel
    this.channel = null
    void channel?.kill()
  }

  private died(reason: string): RuntimeError {
    const op = this.inFlight
    const during = op ? ` while running op ${op.src.seq} of oplog ${op.src.origin.slice(0, 8)}…; nothing was recorded for the op` : ''
    return new RuntimeError('RUNTIME_DIED', `the ${this.mode} runtime ${reason}${during}`)
  }

  private settle(err: Error | null, draft?: OpDraft): void {
    const op = this.inFlight
    if (!op) return
    this.inFlight = null
    if (op.timer) clearTimeout(op.timer)
    this.channel?.hold(false)
    if (err) op.reject(err)
    else op.resolve(draft as OpDraft)
  }
}
