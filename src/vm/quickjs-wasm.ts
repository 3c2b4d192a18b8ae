// The QuickJS WebAssembly module every ContractVM instantiates, instrumented for metering (fuel/).
// In Node it is read from the package and compiled synchronously on first use; the judge page's
// twin (quickjs-wasm.browser.ts) compiles bytes embedded in the page, asynchronously, beforehand.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { instrumentWasm } from './fuel/instrument.js'
import { Wasm } from './wasm-api.js'

let compiled: WebAssembly.Module | undefined

export function quickjsWasmModule(): WebAssembly.Module {
  if (!compiled) {
    const main = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync')
    compiled = new Wasm.Module(instrumentWasm(readFileSync(path.join(path.dirname(main), 'emscripten-module.wasm'))))
  }
  return compiled
}
