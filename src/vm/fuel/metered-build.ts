// The QuickJS WebAssembly instrumented for metering (instrument.ts), made once when Glassbox is
// built rather than in every process that loads a contract: instrumenting the package's module
// costs some 20 ms of the main thread, a large share of a first op after an open.
//
// The file is a cache of instrumentWasm(package bytes) and is used only for exactly those inputs:
// it starts with a SHA-256 over the package's module and the instrumenter's own code, taken again
// at load, then a SHA-256 of the instrumented module, so a changed byte of it shows too. A QuickJS package upgraded, or an instrumenter changed, since the build (or a file
// missing or cut short) does not match, and the module is instrumented in the process as before.
// It sits beside the compiled code, and is trusted as that code is.

import { createHash } from 'node:crypto'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { instrumentWasm } from './instrument.js'

const H = 32
/** The built file, beside this module's compiled code. */
export const METERED_FILE = fileURLToPath(new URL('./quickjs-metered.wasm', import.meta.url))
/** The instrumenter's code: a change to any of it must not leave an older instrumentation in use. */
const INSTRUMENTER = ['./instrument.js', './wasm-binary.js', './costs.js'].map((f) => fileURLToPath(new URL(f, import.meta.url)))

/** What the built file must start with to stand for instrumentWasm(original). */
export function meteredKey(original: Uint8Array): Buffer {
  const h = createHash('sha256').update('glassbox/metered-quickjs/1\n').update(original)
  for (const file of INSTRUMENTER) h.update(readFileSync(file))
  return h.digest()
}

/**
 * instrumentWasm(original) from the built file, or null if there is none for exactly these inputs
 * or its module is not the one the build wrote (the file is: the key, SHA-256 of the module, the module).
 */
export function builtMeteredWasm(original: Uint8Array, at = METERED_FILE): Uint8Array | null {
  try {
    const file = readFileSync(at)
    if (file.length <= 2 * H || !file.subarray(0, H).equals(meteredKey(original))) return null
    const module = file.subarray(2 * H)
    return createHash('sha256').update(module).digest().equals(file.subarray(H, 2 * H)) ? module : null
  } catch {
    return null
  }
}

/** Writes the built file for the package's module `original` (renamed into place). */
export function writeMeteredWasm(original: Uint8Array, at = METERED_FILE): void {
  const module = instrumentWasm(original)
  writeFileSync(`${at}.tmp`, Buffer.concat([meteredKey(original), createHash('sha256').update(module).digest(), module]))
  renameSync(`${at}.tmp`, at)
}
