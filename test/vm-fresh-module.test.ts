// ModuleHost captures the pristine state of a fresh QuickJS module once per heap size and process,
// and puts every later module of that size back into that one capture. That is sound only if
// every fresh module starts from the very same bytes and globals; this checks it, for the default
// heap and another size, so a QuickJS build whose start-up depended on anything else would fail here.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_LIMITS } from '../src/vm/limits.js'
import { newQuickJSModule, type QuickJSModuleWithMemory } from '../src/vm/wasm.js'
import { lengthWithoutTrailingZeros } from '../src/vm/zero-scan.js'

function freshState(m: QuickJSModuleWithMemory): { bytes: Buffer; size: number; globals: number[] } {
  const end = lengthWithoutTrailingZeros(m.memory)
  return { bytes: Buffer.from(m.memory.buffer, 0, end), size: m.memory.buffer.byteLength, globals: m.globals.map((g) => g.value) }
}

test('fresh QuickJS modules of one heap size start from identical memory and globals', async () => {
  for (const heapBytes of [DEFAULT_LIMITS.memoryBytes, 8 * 1024 * 1024]) {
    const first = freshState(await newQuickJSModule(heapBytes))
    // Something in between, so that a start-up reading the process's history would differ.
    const other = await newQuickJSModule(heapBytes)
    new Uint8Array(other.memory.buffer).fill(7, 0, 1 << 20)
    const second = freshState(await newQuickJSModule(heapBytes))
    assert.ok(first.bytes.length > 0 && first.globals.length > 0, 'a fresh module holds data and globals')
    assert.equal(second.size, first.size)
    assert.deepEqual(second.globals, first.globals)
    assert.ok(second.bytes.equals(first.bytes), `heap ${heapBytes}: the memories of two fresh modules differ`)
  }
})
