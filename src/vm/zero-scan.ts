// Finds where a WebAssembly memory's trailing zeros begin, at native speed. A fresh QuickJS module's
// 16 MiB memory is mostly zero; scanning it word by word in JavaScript runs in the interpreter
// until the JIT catches up, which on a busy machine took seconds per module. A few bytes of
// WebAssembly importing the same memory do it in milliseconds, in Node and in browsers alike.

import { u32Leb } from './fuel/wasm-binary.js'
import { Wasm } from './wasm.js'

function section(id: number, content: number[]): number[] {
  return [id, ...u32Leb(content.length), ...content]
}

function name(text: string): number[] {
  return [...u32Leb(text.length), ...[...text].map((c) => c.charCodeAt(0))]
}

// lastNonZero(end): the smallest multiple of 8 at or below `end` above which every byte is zero.
// `end` must be a multiple of 8 (a memory's length always is).
const BODY = [
  0x00, // no locals beyond the parameter
  0x02, 0x40, // block
  0x03, 0x40, // loop
  0x20, 0x00, 0x45, 0x0d, 0x01, // if end == 0: leave with 0
  0x20, 0x00, 0x41, 0x08, 0x6b, 0x29, 0x03, 0x00, // i64.load [end - 8]
  0x42, 0x00, 0x52, 0x0d, 0x01, // if it is not zero: leave with end
  0x20, 0x00, 0x41, 0x08, 0x6b, 0x21, 0x00, // end -= 8
  0x0c, 0x00, // again
  0x0b, 0x0b, // end loop, end block
  0x20, 0x00, 0x0b, // return end
]

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f]), // type (i32) -> i32
  ...section(2, [0x01, ...name('m'), ...name('memory'), 0x02, 0x00, 0x00]), // import memory, min 0
  ...section(3, [0x01, 0x00]),
  ...section(7, [0x01, ...name('lastNonZero'), 0x00, 0x00]),
  ...section(10, [0x01, ...u32Leb(BODY.length), ...BODY]),
])

let compiled: WebAssembly.Module | null = null

/** The length of `memory`'s contents without its trailing zeros, rounded up to a multiple of 8. */
export function lengthWithoutTrailingZeros(memory: { readonly buffer: ArrayBuffer }): number {
  compiled ??= new Wasm.Module(MODULE)
  const scanner = new Wasm.Instance(compiled, { m: { memory } })
  const lastNonZero = scanner.exports.lastNonZero as (end: number) => number
  return lastNonZero(memory.buffer.byteLength) >>> 0
}
