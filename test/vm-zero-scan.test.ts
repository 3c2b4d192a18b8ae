import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lengthWithoutTrailingZeros } from '../src/vm/zero-scan.js'

const PAGE = 64 * 1024
// The compiler's library here declares WebAssembly's types but not its constructors.
const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer; grow(pages: number): number } } }).WebAssembly.Memory

/** What the scan must agree with: the plain byte-by-byte answer, rounded up to a multiple of 8. */
function slowLength(bytes: Uint8Array): number {
  let end = bytes.length
  while (end > 0 && bytes[end - 1] === 0) end--
  return Math.ceil(end / 8) * 8
}

test('the trailing-zero scan agrees with a byte-by-byte scan wherever the last non-zero byte is', () => {
  const memory = new Memory({ initial: 4, maximum: 8 })
  const bytes = new Uint8Array(memory.buffer)
  assert.equal(lengthWithoutTrailingZeros(memory), 0, 'an all-zero memory keeps nothing')
  for (const at of [0, 1, 7, 8, 9, 4095, PAGE, 3 * PAGE + 5, 4 * PAGE - 1]) {
    bytes.fill(0)
    bytes[at] = 0x80
    bytes[Math.floor(at / 2)] = 1
    assert.equal(lengthWithoutTrailingZeros(memory), slowLength(bytes), `last non-zero byte at ${at}`)
  }
  memory.grow(1)
  const grown = new Uint8Array(memory.buffer)
  grown[5 * PAGE - 2] = 3
  assert.equal(lengthWithoutTrailingZeros(memory), 5 * PAGE, 'a grown memory is scanned to its new end')
})
