// WebAssembly's constructors, typed: the compiler's library here declares WebAssembly's types but
// not its constructors.

import type { CustomizeVariantOptions } from 'quickjs-emscripten-core'

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WebAssembly.Module
  Memory: new (descriptor: { initial: number; maximum: number }) => CustomizeVariantOptions['wasmMemory']
  Instance: new (module: WebAssembly.Module, imports: unknown) => { exports: Record<string, unknown> }
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>
}

export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly
