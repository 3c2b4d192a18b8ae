// The QuickJS modules a ContractVM's sandboxes live in: two, so that the canonical outcome of an op
// never depends on what ran before it.
// - The warm module hosts the long-lived sandbox that runs ops quickly. What earlier ops leave in it
//   (cycles QuickJS has not collected yet, a heap grown close to its ceiling) moves the point where
//   an allocation fails, and a contract can catch that failure and carry on: an outcome that
//   depends on history. So a warm run is trusted only while the warm module's memory stays under
//   half the heap above its base, where no allocation can fail for want of room; past that, the op
//   is run again in the canonical module and the warm module is replaced.
// - The canonical module hosts only fresh sandboxes, one at a time, each disposed before the next,
//   so every fresh run starts on an empty heap of the full size.
// QuickJS 2025-09-13 can leak objects after an out-of-memory error; JS_FreeRuntime then aborts (we
// catch that) and the runtime's memory stays behind in its module. A module that leaked is replaced
// too. Loading a module is asynchronous: until the canonical module's replacement is ready, ops
// cannot run (`ready()` waits for it), and a new warm sandbox is made only once a warm module is.

import type { QuickJSWASMModule } from 'quickjs-emscripten-core'
import { DEFAULT_LIMITS } from './limits.js'
import { MODULE_BASE_BYTES, newQuickJSModule, type QuickJSModuleWithMemory } from './wasm.js'

/** Where a sandbox lives: its module, and whom to tell when disposing it leaked memory there. */
export interface SandboxPlace {
  readonly module: QuickJSWASMModule
  leaked(): void
}

type Role = 'warm' | 'canonical'

export class ModuleHost {
  private readonly modules: Record<Role, QuickJSModuleWithMemory | null>
  private readonly loading: Record<Role, Promise<void> | null> = { warm: null, canonical: null }
  private loadError: Error | null = null
  /** How large the warm module's memory may grow before its runs stop counting. */
  private readonly warmCeiling: number

  private constructor(
    warm: QuickJSModuleWithMemory,
    canonical: QuickJSModuleWithMemory,
    readonly heapBytes: number,
  ) {
    this.modules = { warm, canonical }
    this.warmCeiling = MODULE_BASE_BYTES + Math.floor(heapBytes / 2)
  }

  static async create(heapBytes: number): Promise<ModuleHost> {
    const [warm, canonical] = await Promise.all([newQuickJSModule(heapBytes), newQuickJSModule(heapBytes)])
    return new ModuleHost(warm, canonical, heapBytes)
  }

  /** Where the warm sandbox may be made; null while the warm module is being replaced. */
  warmPlace(): SandboxPlace | null {
    return this.place('warm')
  }

  /** Where fresh sandboxes are made. Throws while the canonical module is being replaced. */
  canonicalPlace(): SandboxPlace {
    const place = this.place('canonical')
    if (place === null) {
      throw this.loadError ?? new Error('the canonical QuickJS module is being replaced: await ContractVM.ready() before running ops')
    }
    return place
  }

  /** True when fresh sandboxes can be made now. */
  get isReady(): boolean {
    return this.modules.canonical !== null
  }

  /** Resolves once the canonical module is loaded (after a replacement). */
  async ready(): Promise<void> {
    while (this.modules.canonical === null) {
      if (this.loadError) throw this.loadError
      await this.loading.canonical
    }
  }

  /** True when a warm run may have met a heap too full to be like a fresh one (see above). */
  warmTooFull(): boolean {
    const warm = this.modules.warm
    return warm !== null && warm.memory.buffer.byteLength > this.warmCeiling
  }

  /** Drops the warm module and loads another in the background. */
  retireWarm(): void {
    if (this.modules.warm) this.replace('warm', this.modules.warm.module)
  }

  private place(role: Role): SandboxPlace | null {
    const current = this.modules[role]
    if (current === null) return null
    return { module: current.module, leaked: () => this.replace(role, current.module) }
  }

  private replace(role: Role, module: QuickJSWASMModule): void {
    if (this.modules[role]?.module !== module) return
    this.modules[role] = null
    this.loading[role] = newQuickJSModule(this.heapBytes).then(
      (loaded) => {
        this.modules[role] = loaded
        this.loading[role] = null
      },
      (err: Error) => {
        this.loadError = err
        this.loading[role] = null
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
