// The QuickJS module a ContractVM's sandboxes live in, and its replacement when it is spoiled.
// QuickJS 2025-09-13 can leak objects after an out-of-memory error; JS_FreeRuntime then aborts
// (we catch that) and the runtime's memory stays behind in the module. Later sandboxes would have
// less room, so a clean module is loaded in the background and used as soon as it is ready.

import type { QuickJSWASMModule } from 'quickjs-emscripten-core'
import { DEFAULT_LIMITS } from './limits.js'
import { newQuickJSModule } from './wasm.js'

export class ModuleHost {
  private replacing = false

  private constructor(
    private current: QuickJSWASMModule,
    readonly heapBytes: number,
  ) {}

  static async create(heapBytes: number): Promise<ModuleHost> {
    return new ModuleHost(await newQuickJSModule(heapBytes), heapBytes)
  }

  get module(): QuickJSWASMModule {
    return this.current
  }

  poison(): void {
    if (this.replacing) return
    this.replacing = true
    newQuickJSModule(this.heapBytes).then(
      (mod) => {
        this.current = mod
        this.replacing = false
      },
      () => {
        this.replacing = false
      },
    )
  }
}

let shared: ModuleHost | undefined
let sharedLoading: Promise<ModuleHost> | undefined

/** Loads the module that validateSourceSync uses; each ContractVM loads its own. */
export async function loadQuickJS(): Promise<void> {
  if (shared) return
  sharedLoading ??= ModuleHost.create(DEFAULT_LIMITS.memoryBytes).then((host) => (shared = host))
  await sharedLoading
}

export function sharedModuleHost(): ModuleHost {
  if (!shared) throw new Error('QuickJS is not loaded yet: await loadQuickJS() or ContractVM.validateSource() first')
  return shared
}
