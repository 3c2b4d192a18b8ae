// `local` mode: ops run on the caller's thread, synchronously, exactly as before runtime modes.

import type { ContractVM } from '../../vm/index.js'
import type { StateReader } from '../../vm/types.js'
import { executeOp, type ExecuteOptions, type OpDraft, type OpSource } from '../execute-op.js'
import type { ContractRuntime } from './runtime.js'

export class LocalRuntime implements ContractRuntime {
  readonly mode = 'local' as const

  executeOp(vm: ContractVM, src: OpSource, state: StateReader, opts: ExecuteOptions): OpDraft {
    return executeOp(vm, src, state, opts)
  }

  async close(): Promise<void> {}
}
