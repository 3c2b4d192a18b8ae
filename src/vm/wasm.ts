// QuickJS WebAssembly modules. Each ContractVM gets a module of its own with a fixed-size memory:
// in this build QuickJS's own memory limit only refuses single allocations larger than the limit
// (it cannot measure the size of what it allocated, so its running total counts 8 bytes per block),
// and without a memory of its own a contract could fill the WebAssembly heap that every other VM
// in the process shares. A full module memory makes malloc fail, which QuickJS reports as "out of
// memory". Loading a module is the only asynchronous step; everything after it is synchronous.
// The module is the package's, instrumented for metering (fuel/; compiled in quickjs-wasm.ts).

import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core'
import variantImport from '@jitl/quickjs-wasmfile-release-sync'
import { FUEL_EXPORT, GLOBAL_EXPORT_PREFIX } from './fuel/instrument.js'
import { quickjsWasmModule as wasmModule } from './quickjs-wasm.js'
import { Wasm } from './wasm-api.js'

export { Wasm }

// The package's CommonJS typings hide that its ES module's default export is the variant itself.
const variant = variantImport as unknown as QuickJSSyncVariant

/** A WebAssembly global as JavaScript sees it (the fuel and the module's own mutable globals). */
export interface WasmGlobal {
  value: number
}

const PAGE = 64 * 1024
/** What the module needs besides the contract's heap: static data, the C stack, QuickJS's realm. */
export const MODULE_BASE_BYTES = 32 * 1024 * 1024
const INITIAL_BYTES = 16 * 1024 * 1024

/** The WebAssembly memory a module gets for a contract heap of `heapBytes`. */
export function moduleMemoryBytes(heapBytes: number): number {
  return Math.ceil((heapBytes + MODULE_BASE_BYTES) / PAGE) * PAGE
}

/**
 * A module and everything its state is made of: its memory (whose size also tells how far its heap
 * has grown), its mutable globals, and the fuel counter the instrumentation added.
 */
export interface QuickJSModuleWithMemory {
  module: QuickJSWASMModule
  memory: { readonly buffer: ArrayBuffer }
  fuel: WasmGlobal
  globals: WasmGlobal[]
  /** How many times the allocator asked for memory beyond the maximum and was refused. */
  readonly refusedGrowth: number
}

/** A new module whose whole memory (QuickJS's heap and everything else) is capped. */
export async function newQuickJSModule(heapBytes: number): Promise<QuickJSModuleWithMemory> {
  const maximum = moduleMemoryBytes(heapBytes) / PAGE
  const memory = new Wasm.Memory({ initial: Math.min(INITIAL_BYTES / PAGE, maximum), maximum })
  let exports: Record<string, unknown> | undefined
  const counters = { refusedGrowth: 0 }
  // Emscripten lets the embedder instantiate the module; that is where its exports can be reached,
  // and where the allocator's request for more memory can be watched: a refusal is the one sure
  // sign that the heap is full (QuickJS may then throw null, having no memory left for an error).
  const instantiateWasm = (imports: Record<string, Record<string, unknown>>, receive: (instance: unknown, module: WebAssembly.Module) => void) => {
    watchHeapGrowth(imports, () => counters.refusedGrowth++)
    const instance = new Wasm.Instance(wasmModule(), imports)
    exports = instance.exports
    receive(instance, wasmModule())
    return instance.exports
  }
  const module = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmMemory: memory, emscriptenModule: { instantiateWasm } as object }))
  if (exports === undefined) throw new Error('the QuickJS module was not instantiated through Glassbox: its fuel cannot be metered')
  const found = exports
  const globals = Object.keys(found)
    .filter((name) => name.startsWith(GLOBAL_EXPORT_PREFIX))
    .map((name) => found[name] as WasmGlobal)
  return {
    module,
    memory: memory as unknown as { readonly buffer: ArrayBuffer },
    fuel: found[FUEL_EXPORT] as WasmGlobal,
    globals,
    get refusedGrowth() {
      return counters.refusedGrowth
    },
  }
}

/**
 * Wraps Emscripten's heap-resize import (the one import that grows the memory; its minified name
 * changes between builds, its body does not) to count the requests it refuses.
 */
function watchHeapGrowth(imports: Record<string, Record<string, unknown>>, refused: () => void): void {
  const found: [Record<string, unknown>, string][] = []
  for (const ns of Object.values(imports)) {
    for (const [name, fn] of Object.entries(ns)) {
      if (typeof fn === 'function' && /\.grow\(/.test(Function.prototype.toString.call(fn))) found.push([ns, name])
    }
  }
  if (found.length !== 1) throw new Error(`expected one heap-resize import in the QuickJS module, found ${found.length}`)
  const [ns, name] = found[0]
  const resize = ns[name] as (...args: unknown[]) => unknown
  ns[name] = (...args: unknown[]) => {
    const grown = resize(...args)
    if (!grown) refused()
    return grown
  }
}

