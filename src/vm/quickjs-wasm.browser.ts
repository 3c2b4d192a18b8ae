// The browser's twin of quickjs-wasm.ts. Browsers refuse to compile a module this large
// synchronously on the main thread, so the page compiles the package's bytes (embedded in the page)
// with prepareQuickJS before any ContractVM is made; the instrumentation is the same code as Node's.

import { instrumentWasm } from './fuel/instrument.js'
import { Wasm } from './wasm-api.js'

let compiled: WebAssembly.Module | undefined

export async function prepareQuickJS(packageBytes: Uint8Array): Promise<void> {
  compiled ??= await Wasm.compile(instrumentWasm(packageBytes))
}

export function quickjsWasmModule(): WebAssembly.Module {
  if (!compiled) throw new Error('the QuickJS module is not compiled yet: await prepareQuickJS() first')
  return compiled
}
