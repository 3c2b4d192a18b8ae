// A QuickJS module's state as it was right after loading, and the means to put it back. A module's
// whole state is its linear memory and its mutable globals (the function table never changes after
// start-up), so copying them back makes the module indistinguishable from a freshly loaded one, at
// the cost of a memory copy instead of a new instance: fast, and synchronous.
// Restoring is what makes a canonical run canonical: every allocation, hash-table layout and so
// every loop the metering counts depends on the heap it starts from. It is also how a module is
// recovered after a trap (out of fuel, or a fault) left QuickJS's structures half-updated.

import type { QuickJSModuleWithMemory } from './wasm.js'
import { lengthWithoutTrailingZeros } from './zero-scan.js'

export class PristineModule {
  private constructor(
    /** The memory up to its trailing zeros (to a multiple of 8 bytes); everything after it was zero. */
    private readonly prefix: Uint8Array,
    private readonly globals: readonly number[],
  ) {}

  static capture(m: QuickJSModuleWithMemory): PristineModule {
    // A fresh module's memory is mostly zero: only what comes before its trailing zeros is kept.
    const end = lengthWithoutTrailingZeros(m.memory)
    return new PristineModule(new Uint8Array(m.memory.buffer).slice(0, end), m.globals.map((g) => g.value))
  }

  restore(m: QuickJSModuleWithMemory): void {
    const bytes = new Uint8Array(m.memory.buffer)
    bytes.set(this.prefix)
    bytes.fill(0, this.prefix.length)
    this.globals.forEach((value, i) => (m.globals[i].value = value))
  }
}
