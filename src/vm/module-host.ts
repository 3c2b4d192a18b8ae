// The QuickJS modules a ContractVM's sandboxes live in: two, so that the canonical outcome of an op
// never depends on what ran before it.
// - The warm module hosts the long-lived sandbox that runs ops quickly. What earlier ops leave in it
//   (objects QuickJS has not collected yet, a heap grown close to its ceiling, a different heap
//   layout) changes how much fuel an op burns and where an allocation fails, and a contract can
//   catch that failure and carry on: an outcome that depends on history. So a warm run is trusted
//   only when it stayed far from every limit (see ContractVM) and the warm module's memory stayed
//   under half the heap above its base; otherwise the op is run again in the canonical module, and
//   a warm module grown past that is replaced.
// - The canonical module is put back into its pristine state (PristineModule) before every sandbox
//   made there, so every canonical run starts from the very same bytes: its outcome and its fuel
//   are a function of the op and the state alone.
// A module whose run trapped (out of fuel, or a fault) or whose runtime leaked on disposal is
// restored to its pristine state too; nothing of it is reused. Only replacing a grown warm module
// is asynchronous: until it is loaded, ops run in the canonical module.

import type { QuickJSWASMModule } from 'quickjs-emscripten-core'
import { DEFAULT_LIMITS } from './limits.js'
import { PristineModule } from './pristine.js'
import { MODULE_BASE_BYTES, newQuickJSModule, type QuickJSModuleWithMemory, type WasmGlobal } from './wasm.js'

/** Where a sandbox lives: its module and fuel, and whom to tell when the module's state is spoilt. */
export interface SandboxPlace {
  readonly module: QuickJSWASMModule
  readonly fuel: WasmGlobal
  /** Requests for memory beyond the maximum the module's allocator was refused, so far. */
  readonly refusedGrowth: number
  /** Disposing a sandbox leaked memory in the module, or a trap left it half-updated. */
  spoilt(): void
}

interface Loaded {
  instance: QuickJSModuleWithMemory
}

/**
 * The pristine state of a fresh module, by heap size. Every fresh module of a size starts from the
 * same bytes (test/vm-fresh-module checks it), so one capture serves them all: capturing reads the
 * whole memory and copies megabytes of it, the costliest part of loading a module. It is taken
 * when first needed, from a canonical module nothing has run in yet (see ModuleHost.pristine), so
 * a process whose ops never leave the warm module (a short command, say) does not pay for it.
 */
const freshStates = new Map<number, PristineModule>()

async function load(heapBytes: number): Promise<Loaded> {
  return { instance: await newQuickJSModule(heapBytes) }
}

export class ModuleHost {
  private warm: Loaded | null
  private warmLoading: Promise<void> | null = null
  /** How large the warm module's memory may grow before its runs stop counting. */
  private readonly warmCeiling: number

  private constructor(
    warm: Loaded,
    private readonly canonical: Loaded,
    readonly heapBytes: number,
  ) {
    this.warm = warm
    this.warmCeiling = MODULE_BASE_BYTES + Math.floor(heapBytes / 2)
  }

  static async create(heapBytes: number): Promise<ModuleHost> {
    const [warm, canonical] = await Promise.all([load(heapBytes), load(heapBytes)])
    return new ModuleHost(warm, canonical, heapBytes)
  }

  /** Where the warm sandbox may be made; null while the warm module is being replaced. */
  warmPlace(): SandboxPlace | null {
    const warm = this.warm
    if (warm === null) return null
    return this.placeIn(warm, () => {
      if (this.warm === warm) this.pristine().restore(warm.instance)
    })
  }

  /** Where a canonical sandbox is made: the canonical module, restored to its pristine state first. */
  canonicalPlace(): SandboxPlace {
    const { instance } = this.canonical
    const pristine = this.pristine()
    pristine.restore(instance)
    return this.placeIn(this.canonical, () => pristine.restore(instance))
  }

  /**
   * The capture for this heap size, taking it now if there is none. Until a capture exists no
   * canonical place has been handed out by any host of this size (handing one out takes it first),
   * so this host's canonical module is still exactly as loaded: the capture is of a fresh module.
   */
  private pristine(): PristineModule {
    let pristine = freshStates.get(this.heapBytes)
    if (pristine === undefined) {
      pristine = PristineModule.capture(this.canonical.instance)
      freshStates.set(this.heapBytes, pristine)
    }
    return pristine
  }

  /** Ops can always run: the canonical module is never unloaded. */
  get isReady(): boolean {
    return true
  }

  /** Resolves once a replacement of the warm module (if any) has loaded or failed. */
  async ready(): Promise<void> {
    await this.warmLoading
  }

  /** True when a warm run may have met a heap too full to be like a fresh one (see above). */
  warmTooFull(): boolean {
    const warm = this.warm
    return warm !== null && warm.instance.memory.buffer.byteLength > this.warmCeiling
  }

  /** Drops the warm module and loads another in the background. */
  retireWarm(): void {
    if (this.warm === null) return
    this.warm = null
    this.warmLoading = load(this.heapBytes).then(
      (loaded) => {
        this.warm = loaded
        this.warmLoading = null
      },
      // Without a warm module every op runs in the canonical one: slower, never wrong.
      () => {
        this.warmLoading = null
      },
    )
  }

  private placeIn(loaded: Loaded, spoilt: () => void): SandboxPlace {
    const { instance } = loaded
    return {
      module: instance.module,
      fuel: instance.fuel,
      get refusedGrowth() {
        return instance.refusedGrowth
      },
      spoilt,
    }
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
