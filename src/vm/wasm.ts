// QuickJS WebAssembly modules. Each ContractVM gets a module of its own with a fixed-size memory:
// in this build QuickJS's own memory limit only refuses single allocations larger than the limit
// (it cannot measure the size of what it allocated, so its running total counts 8 bytes per block),
// and without a memory of its own a contract could fill the WebAssembly heap that every other VM
// in the process shares. A full module memory makes malloc fail, which QuickJS reports as "out of
// memory". Loading a module is the only asynchronous step; everything after it is synchronous.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type CustomizeVariantOptions,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core'
import variantImport from '@jitl/quickjs-wasmfile-release-sync'

// The package's CommonJS typings hide that its ES module's default export is the variant itself.
const variant = variantImport as unknown as QuickJSSyncVariant

// The compiler's library here declares WebAssembly's types but not its constructors.
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WebAssembly.Module
  Memory: new (descriptor: { initial: number; maximum: number }) => CustomizeVariantOptions['wasmMemory']
}
const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly

const PAGE = 64 * 1024
/** What the module needs besides the contract's heap: static data, the C stack, QuickJS's realm. */
export const MODULE_BASE_BYTES = 32 * 1024 * 1024
const INITIAL_BYTES = 16 * 1024 * 1024

let compiled: WebAssembly.Module | undefined
let shared: QuickJSWASMModule | undefined
let sharedLoading: Promise<QuickJSWASMModule> | undefined

function wasmModule(): WebAssembly.Module {
  if (!compiled) {
    const main = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync')
    compiled = new Wasm.Module(readFileSync(path.join(path.dirname(main), 'emscripten-module.wasm')))
  }
  return compiled
}

/** The WebAssembly memory a module gets for a contract heap of `heapBytes`. */
export function moduleMemoryBytes(heapBytes: number): number {
  return Math.ceil((heapBytes + MODULE_BASE_BYTES) / PAGE) * PAGE
}

/** A module and its memory (whose size tells how far the module's heap has grown). */
export interface QuickJSModuleWithMemory {
  module: QuickJSWASMModule
  memory: { readonly buffer: ArrayBuffer }
}

/** A new module whose whole memory (QuickJS's heap and everything else) is capped. */
export async function newQuickJSModule(heapBytes: number): Promise<QuickJSModuleWithMemory> {
  const maximum = moduleMemoryBytes(heapBytes) / PAGE
  const memory = new Wasm.Memory({ initial: Math.min(INITIAL_BYTES / PAGE, maximum), maximum })
  const module = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule: wasmModule(), wasmMemory: memory }))
  return { module, memory: memory as unknown as { readonly buffer: ArrayBuffer } }
}

