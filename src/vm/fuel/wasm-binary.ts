// The pieces of the WebAssembly binary format that instrumenting a module needs: LEB128 numbers,
// sections, and a reader that walks one function body instruction by instruction. Only the
// instructions QuickJS's build uses (the 1.0 set, sign extension, saturating conversions, bulk
// memory) are known; anything else is refused rather than guessed at.

import { concatBytes } from '../../codec/hash.js'

export class WasmFormatError extends Error {
  readonly code = 'WASM_FORMAT'
}

export class ByteReader {
  pos: number
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start
  }

  get done(): boolean {
    return this.pos >= this.end
  }

  byte(): number {
    if (this.pos >= this.end) throw new WasmFormatError(`unexpected end of WebAssembly data at byte ${this.pos}`)
    return this.bytes[this.pos++]
  }

  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const b = this.byte()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
      if (shift > 28) throw new WasmFormatError(`LEB128 number too long at byte ${this.pos}`)
    }
  }

  /** Skips one LEB128 number, signed or not. */
  skipLeb(): void {
    while ((this.byte() & 0x80) !== 0);
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new WasmFormatError(`unexpected end of WebAssembly data at byte ${this.pos}`)
    this.pos += n
  }

  name(): void {
    this.skip(this.u32())
  }
}

export function u32Leb(value: number): number[] {
  const out: number[] = []
  let v = value >>> 0
  do {
    let b = v & 0x7f
    v >>>= 7
    if (v !== 0) b |= 0x80
    out.push(b)
  } while (v !== 0)
  return out
}

export function s32Leb(value: number): number[] {
  const out: number[] = []
  let v = value | 0
  for (;;) {
    const b = v & 0x7f
    v >>= 7
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)
    out.push(done ? b : b | 0x80)
    if (done) return out
  }
}

export interface Section {
  id: number
  /** The section's contents, without its id and size. */
  body: Uint8Array
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

export function readSections(bytes: Uint8Array): Section[] {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new WasmFormatError('not a WebAssembly 1.0 binary')
  }
  const r = new ByteReader(bytes, MAGIC.length)
  const sections: Section[] = []
  while (!r.done) {
    const id = r.byte()
    const size = r.u32()
    const start = r.pos
    r.skip(size)
    sections.push({ id, body: bytes.subarray(start, start + size) })
  }
  return sections
}

export function writeModule(sections: readonly Section[]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from(MAGIC)]
  for (const s of sections) parts.push(Uint8Array.from([s.id, ...u32Leb(s.body.length)]), s.body)
  return concatBytes(parts)
}

/** A vector section's body rebuilt with entries appended to its count and contents. */
export function appendToVector(body: Uint8Array | undefined, extra: readonly number[][]): Uint8Array {
  let count = 0
  let rest: Uint8Array = new Uint8Array(0)
  if (body !== undefined) {
    const r = new ByteReader(body)
    count = r.u32()
    rest = body.subarray(r.pos)
  }
  return concatBytes([Uint8Array.from(u32Leb(count + extra.length)), rest, Uint8Array.from(extra.flat())])
}

/** Where an instruction that the instrumenter cares about starts, found by walking a body. */
export type Landmark =
  /** The first byte after a `loop` and its block type: the top of every iteration. */
  | { kind: 'loop-top'; at: number }
  /** The first byte of a `memory.copy` or `memory.fill`, whose length is on top of the stack. */
  | { kind: 'bulk'; at: number }

/** Walks an expression from r.pos to r.end and reports each landmark in order. */
export function walkExpression(r: ByteReader, visit: (mark: Landmark) => void): void {
  while (!r.done) {
    const at = r.pos
    const op = r.byte()
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      blockType(r)
      if (op === 0x03) visit({ kind: 'loop-top', at: r.pos })
    } else if (op === 0xfc) {
      const sub = r.u32()
      if (sub === 10 || sub === 11) visit({ kind: 'bulk', at })
      prefixedImmediates(r, sub)
    } else {
      immediates(r, op)
    }
  }
}

function blockType(r: ByteReader): void {
  const b = r.bytes[r.pos]
  if (b === 0x40 || (b >= 0x7b && b <= 0x7f) || b === 0x70 || b === 0x6f) r.skip(1)
  else r.skipLeb()
}

function immediates(r: ByteReader, op: number): void {
  if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) return
  if (op >= 0x45 && op <= 0xc4) return
  if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || op === 0xd2) return r.skipLeb()
  if (op >= 0x20 && op <= 0x26) return r.skipLeb()
  if (op === 0x11 || op === 0x13) {
    r.skipLeb()
    return r.skipLeb()
  }
  if (op === 0x0e) {
    const n = r.u32()
    for (let i = 0; i <= n; i++) r.skipLeb()
    return
  }
  if (op === 0x1c) return r.skip(r.u32())
  if (op >= 0x28 && op <= 0x3e) {
    const align = r.u32()
    if ((align & 0x40) !== 0) r.skipLeb()
    return r.skipLeb()
  }
  if (op === 0x3f || op === 0x40 || op === 0x41 || op === 0x42) return r.skipLeb()
  if (op === 0x43) return r.skip(4)
  if (op === 0x44) return r.skip(8)
  if (op === 0xd0) return r.skip(1)
  throw new WasmFormatError(`unknown WebAssembly opcode 0x${op.toString(16)} at byte ${r.pos - 1}`)
}

function prefixedImmediates(r: ByteReader, sub: number): void {
  if (sub <= 7) return
  if (sub === 8 || sub === 12 || sub === 14) {
    r.skipLeb()
    return r.skipLeb()
  }
  if (sub === 9 || sub === 11 || sub === 13 || (sub >= 15 && sub <= 17)) return r.skipLeb()
  if (sub === 10) {
    r.skipLeb()
    return r.skipLeb()
  }
  throw new WasmFormatError(`unknown WebAssembly opcode 0xfc ${sub} at byte ${r.pos}`)
}
