// Runs pending promise jobs one at a time without QuickJSRuntime.executePendingJobs. That method
// (0.32.0) reads the job's context pointer through a typed-array view created before the job ran;
// a job that grows WebAssembly memory detaches the view, the pointer reads as undefined, and the
// library silently creates a new context in the runtime that nobody frees. The leak makes
// JS_FreeRuntime abort the module later, and the extra context's allocations land in the runtime
// at a point that depends on the process's history, not on the contract.

import type { JSContextPointerPointer, JSRuntimePointer, QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core'

export type JobResult = { ran: false } | { ran: true; error: QuickJSHandle | null }

export class JobRunner {
  private readonly rt: JSRuntimePointer
  private readonly memory: ReturnType<QuickJSContext['getMemory']>
  private readonly out: number

  constructor(
    runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
  ) {
    this.rt = (runtime as unknown as { rt: { value: JSRuntimePointer } }).rt.value
    this.memory = context.getMemory(this.rt)
    this.out = this.memory.module._malloc(4)
  }

  runOne(): JobResult {
    const { module, ffi } = this.memory
    // QuickJS leaves the pointer untouched when no job is pending.
    new Int32Array(module.HEAPU8.buffer, this.out, 1)[0] = 0
    const valuePtr = ffi.QTS_ExecutePendingJob(this.rt, 1, this.out as JSContextPointerPointer)
    // A fresh view: the job may have grown (and so detached) the old one.
    const ctxPtr = new Int32Array(module.HEAPU8.buffer, this.out, 1)[0]
    if (ctxPtr === 0) {
      ffi.QTS_FreeValuePointerRuntime(this.rt, valuePtr)
      return { ran: false }
    }
    const handle = this.memory.heapValueHandle(valuePtr)
    if (this.context.typeof(handle) === 'number') {
      handle.dispose()
      return { ran: true, error: null }
    }
    return { ran: true, error: handle }
  }

  dispose(): void {
    this.memory.module._free(this.out)
  }
}
