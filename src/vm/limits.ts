// The resource limits a contract runs under. They are part of the protocol: two VMs with different
// limits can disagree about an op, so the limits in force are recorded beside the runtime identity.

import { MAX_GAS } from './fuel/costs.js'
import type { Limits } from './types.js'

/**
 * Defaults chosen by measurement, not by taste:
 * - `stackBytes` is QuickJS's own stack budget, counted on the WebAssembly shadow stack. The
 *   interpreter's native frames live on the host's (Node's ~984 KiB) stack, and some built-ins
 *   recurse natively at up to ~12 native bytes per shadow byte (JSON.stringify of a deeply nested
 *   value). 32 KiB keeps the worst case near 400 KiB of native stack, leaving room for the caller;
 *   larger budgets (e.g. 1 MiB) crash the host process with a native stack overflow. It allows
 *   about 170 nested calls of a small function.
 * - `gas` is fuel in units of FUEL_PER_GAS (fuel/costs.ts): every loop iteration in QuickJS's native
 *   code (the interpreter, the parser, regexps, sorts, string compares...) and every 16 bytes a
 *   bulk memory copy moves cost one fuel; host calls and promise jobs cost a fixed amount. 2000 is
 *   about ten million iterations of a small JavaScript loop, measured at 0.3-0.5 s on a 2-core
 *   machine, and under 1 s for the most expensive built-ins per unit (BENCH=gas).
 * - `memoryBytes` caps QuickJS's heap. QuickJS's own limit only refuses single allocations larger
 *   than it in this build, so each VM also runs in a WebAssembly memory of memoryBytes + 32 MiB.
 */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  gas: 2000,
  memoryBytes: 64 * 1024 * 1024,
  stackBytes: 32 * 1024,
  maxKeyBytes: 1024,
  maxValueBytes: 64 * 1024,
  maxOpBytes: 64 * 1024,
  maxChanges: 1024,
  maxSourceBytes: 1024 * 1024,
})

/**
 * Deepest nesting of arrays and objects in a JSON value crossing the sandbox boundary (ops, state
 * values, params, responses, metadata). The canonical encoding accepts 64 levels in a whole
 * message; values travel inside entries, acks and proofs, so they get half of that.
 */
export const MAX_JSON_DEPTH = 32

/**
 * The parser recurses with far more native stack per shadow-stack byte than the interpreter
 * (~28x measured for nested parentheses), so contract sources compile under a smaller budget:
 * 8 KiB still admits 120 nested brackets and 27 nested if-blocks.
 */
export function compileStackBytes(limits: Limits): number {
  return Math.max(8 * 1024, Math.floor(limits.stackBytes / 4))
}

const MAX_MEMORY_BYTES = 1024 * 1024 * 1024

export function resolveLimits(partial: Partial<Limits> | undefined): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS, ...partial }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`limit ${name} must be a positive integer, got ${String(value)}`)
    }
  }
  if (limits.gas > MAX_GAS) throw new RangeError(`limit gas must be at most ${MAX_GAS} (its fuel counts in 32 bits), got ${limits.gas}`)
  // Each VM's WebAssembly memory holds the heap plus a fixed base, within the build's 2 GiB.
  if (limits.memoryBytes > MAX_MEMORY_BYTES) {
    throw new RangeError(`limit memoryBytes must be at most ${MAX_MEMORY_BYTES} (1 GiB), got ${limits.memoryBytes}`)
  }
  return limits
}
