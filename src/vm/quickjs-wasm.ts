// The QuickJS WebAssembly module every ContractVM instantiates, instrumented for metering (fuel/).
// In Node it is read from the package and compiled synchronously on first use, instrumented by the
// build when the build's instrumentation is there for exactly these bytes (fuel/metered-build.ts),
// else here; the judge page's twin (quickjs-wasm.browser.ts) compiles bytes embedded in the page,
// asynchronously, beforehand.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { builtMeteredWasm } from './fuel/metered-build.js'
import { instrumentWasm } from './fuel/instrument.js'
import { Wasm } from './wasm-api.js'

let compiled: WebAssembly.Module | undefined

/** The package's own (uninstrumented) QuickJS module. */
export function packageQuickjsWasm(): Buffer {
  const main = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync')
  return readFileSync(path.join(path.dirname(main), 'emscripten-module.wasm'))
}

export function quickjsWasmModule(): WebAssembly.Module {
  if (!compiled) {
    const original = packageQuickjsWasm()
    compiled = new Wasm.Module(builtMeteredWasm(original) ?? instrumentWasm(original))
  }
  return compiled
}
