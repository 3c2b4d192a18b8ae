// ModuleHost captures the pristine state of a fresh QuickJS module once per heap size and process,
// and puts every later module of that size back into that one capture. That is sound only if
// every fresh module starts from the very same bytes and globals; this checks it, for the default
// heap and another size, so a QuickJS build whose start-up depended on anything else would fail here.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { ContractVM, MemoryState } from '../src/vm/index.js'
import { DEFAULT_LIMITS } from '../src/vm/limits.js'
import { newQuickJSModule, type QuickJSModuleWithMemory } from '../src/vm/wasm.js'
import { lengthWithoutTrailingZeros } from '../src/vm/zero-scan.js'

const run = promisify(execFile)

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

// The capture is taken when a canonical run first needs it, long after the warm module has run
// ops: it must still be the state of a fresh module. A canonical run then spends exactly the fuel
// it spends in a process where it is the very first thing to run.
const BUSY = `
export const apply = {
  FILL(tx, op) { const m = new Map(); for (let i = 0; i < op.n; i++) m.set('k' + i, { i, s: 'x'.repeat(i % 50) }); tx.put('/n', m.size) },
}
`
const HEAP = 12 * 1024 * 1024
const ACK = { origin: 'a'.repeat(64), seq: 0, ts: 0, metadata: null }

test('a canonical run after many warm ones spends the fuel it spends as the first run of a process', async () => {
  const vm = await ContractVM.create(BUSY, { limits: { memoryBytes: HEAP } })
  for (let i = 0; i < 20; i++) assert.equal(vm.apply({ op: 'FILL', n: 2000 + i }, ACK, new MemoryState()).success, true)
  const late = vm.applyFresh({ op: 'FILL', n: 3000 }, ACK, new MemoryState())
  vm.dispose()
  const script = `
    const { ContractVM, MemoryState } = await import(${JSON.stringify(new URL('../src/vm/index.js', import.meta.url).href)})
    const vm = await ContractVM.create(${JSON.stringify(BUSY)}, { limits: { memoryBytes: ${HEAP} } })
    process.stdout.write(JSON.stringify(vm.applyFresh({ op: 'FILL', n: 3000 }, ${JSON.stringify(ACK)}, new MemoryState())))
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
  assert.equal(late.success, true)
  assert.deepEqual(late, JSON.parse(stdout))
})
