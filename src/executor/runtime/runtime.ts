// Runtime isolation modes (seed 000): where contract code runs for the executor. `local` runs it on
// the caller's thread; `thread` in a worker thread and `process` in a child process, so that the
// main thread (sockets, HTTP, signals) stays responsive during any op. The outcome of an op never
// depends on the mode: every mode runs the same executeOp over the same state.

import { UsageError } from '../../errors.js'
import type { ContractVM } from '../../vm/index.js'
import type { StateReader } from '../../vm/types.js'
import type { ExecuteOptions, OpDraft, OpSource } from '../execute-op.js'
import { IsolatedRuntime } from './isolated.js'
import { LocalRuntime } from './local.js'
import { processChannel } from './process-channel.js'
import { threadChannel } from './thread-channel.js'

export type RuntimeMode = 'local' | 'thread' | 'process'

export const RUNTIME_MODES: readonly RuntimeMode[] = ['local', 'thread', 'process']

/** The default wall-clock ceiling of one op in an isolated runtime. */
export const DEFAULT_OP_CEILING_MS = 5000

export interface RuntimeOptions {
  /**
   * Wall-clock milliseconds one op may run in `thread` or `process` mode before the runtime is
   * stopped with RuntimeError OP_CEILING. An alarm only: it never changes an op's outcome. `local`
   * mode cannot interrupt the thread it runs on, so it has no ceiling.
   */
  opCeilingMs?: number
}

/**
 * Runs ops for the executor. A local runtime answers synchronously (no await per op on the hot
 * path); an isolated one returns a promise and serves the op's state reads from `state` while it
 * runs. One op at a time.
 */
export interface ContractRuntime {
  readonly mode: RuntimeMode
  /** executeOp (process() then apply()) under the contract `vm` was loaded from. */
  executeOp(vm: ContractVM, src: OpSource, state: StateReader, opts: ExecuteOptions): OpDraft | Promise<OpDraft>
  close(): Promise<void>
}

export function createRuntime(mode: RuntimeMode = 'local', opts: RuntimeOptions = {}): ContractRuntime {
  const ceiling = opts.opCeilingMs ?? DEFAULT_OP_CEILING_MS
  if (!Number.isSafeInteger(ceiling) || ceiling <= 0) {
    throw new UsageError('USAGE', `the op ceiling must be a positive whole number of milliseconds, got ${String(opts.opCeilingMs)}`)
  }
  if (mode === 'local') return new LocalRuntime()
  if (mode === 'thread') return new IsolatedRuntime('thread', threadChannel, ceiling)
  if (mode === 'process') return new IsolatedRuntime('process', processChannel, ceiling)
  throw new UsageError('USAGE', `unknown runtime mode ${JSON.stringify(mode)} (choose local, thread or process)`)
}

/** Parses a --runtime value. */
export function runtimeMode(value: string): RuntimeMode {
  if ((RUNTIME_MODES as readonly string[]).includes(value)) return value as RuntimeMode
  throw new UsageError('USAGE', `--runtime ${JSON.stringify(value)}: choose local, thread or process`)
}
