// The QuickJS module instrumented for metering at build time (vm/fuel/metered-build.ts) is exactly
// what instrumenting in the process gives, and is used for nothing but the inputs it was made from.

import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { instrumentWasm } from '../src/vm/fuel/instrument.js'
import { builtMeteredWasm, meteredKey, writeMeteredWasm } from '../src/vm/fuel/metered-build.js'
import { packageQuickjsWasm } from '../src/vm/quickjs-wasm.js'
import { tempDir } from './helpers/databases.js'

test('the build wrote the metered module, byte for byte what instrumenting it here gives', () => {
  const original = packageQuickjsWasm()
  const built = builtMeteredWasm(original)
  assert.ok(built, 'npm run build writes it beside the compiled code')
  assert.ok(Buffer.from(built).equals(Buffer.from(instrumentWasm(original))))
})

test('a built module is used only for the very package bytes it was made from, and only whole', async (t) => {
  const original = packageQuickjsWasm()
  const at = path.join(await tempDir(t), 'metered.wasm')
  writeMeteredWasm(original, at)
  assert.ok(builtMeteredWasm(original, at))
  // Another QuickJS (a package upgraded since the build): its key differs, so the file is not used.
  const other = Buffer.from(original)
  other[other.length >> 1] ^= 1
  assert.notDeepEqual(meteredKey(other), meteredKey(original))
  assert.equal(builtMeteredWasm(other, at), null)
  // A file cut short, with its key changed, or with a byte of its module changed.
  const file = await readFile(at)
  for (const [what, bytes] of [
    ['cut to its key and checksum', file.subarray(0, 64)],
    ['cut short', file.subarray(0, file.length - 1)],
    ['another key', flipped(file, 0)],
    ['a byte of the module changed', flipped(file, 64 + (file.length >> 1))],
  ] as const) {
    await writeFile(at, bytes)
    assert.equal(builtMeteredWasm(original, at), null, what)
  }
  assert.equal(builtMeteredWasm(original, path.join(path.dirname(at), 'absent.wasm')), null, 'no file')
})

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes)
  copy[at] ^= 1
  return copy
}
