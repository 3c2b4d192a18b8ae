// Metering inside QuickJS itself. Gas that counts only interpreter polls misses the work a built-in
// does in one native call (a typed-array sort, `===` on two long strings, a spread of a big array):
// a contract could spend hours per op for a few polls. So the QuickJS WebAssembly module is
// rewritten when it is loaded, before it is compiled:
// - a new mutable i32 global, the fuel left, is exported as `glassbox_fuel`;
// - the entry of every function takes CALL_FUEL from it, the top of every loop LOOP_FUEL, and
//   `memory.copy` and `memory.fill` BULK_FUEL plus one per BULK_BYTES_PER_FUEL bytes of their length;
// - when the fuel goes below zero the module executes `unreachable`: a trap that unwinds every
//   frame at once, wherever it happens (see ModuleHost for how a trapped module is restored);
// - every defined mutable global (the C stack pointer) is exported too, so that a module's whole
//   state can be saved and restored.
// Every native loop, whether in the interpreter, the parser, the regexp engine, a sort or a memcmp,
// is counted the same way, so the cost of a built-in grows with the work it does by construction.
// The count is a pure function of the module's state and the inputs: it is the canonical gas when
// the module starts from its pristine state (ModuleHost restores one before every canonical run).

import { BULK_BYTES_PER_FUEL, BULK_FUEL, CALL_FUEL, LOOP_FUEL } from './costs.js'
import {
  ByteReader,
  WasmFormatError,
  appendToVector,
  readSections,
  s32Leb,
  u32Leb,
  walkExpression,
  writeModule,
  type Section,
} from './wasm-binary.js'

export const FUEL_EXPORT = 'glassbox_fuel'
export const GLOBAL_EXPORT_PREFIX = 'glassbox_global_'
/** What the fuel global holds when no run is metered: far more than any unmetered step needs. */
export const UNMETERED_FUEL = 0x7fffffff

const SECTION = { type: 1, import: 2, function: 3, global: 6, export: 7, code: 10 } as const
const I32 = 0x7f
const OP = {
  globalGet: 0x23,
  globalSet: 0x24,
  localGet: 0x20,
  localTee: 0x22,
  i32Const: 0x41,
  i32Sub: 0x6b,
  i32LtS: 0x48,
  i32ShrU: 0x76,
  if: 0x04,
  void: 0x40,
  unreachable: 0x00,
  end: 0x0b,
} as const

/** The instrumented module's bytes, ready for WebAssembly.Module. */
export function instrumentWasm(original: Uint8Array): Uint8Array {
  const sections = readSections(original)
  const find = (id: number) => sections.find((s) => s.id === id)
  const paramCounts = functionParamCounts(find(SECTION.type), find(SECTION.function))
  const { imported, mutable } = globalsOf(find(SECTION.import), find(SECTION.global))
  const fuelIndex = imported + mutable.definedCount
  const fuelGlobal = [I32, 0x01, OP.i32Const, ...s32Leb(UNMETERED_FUEL), OP.end]
  const exports = [
    exportEntry(FUEL_EXPORT, fuelIndex),
    ...mutable.indices.map((i) => exportEntry(`${GLOBAL_EXPORT_PREFIX}${i}`, i)),
  ]
  const code = find(SECTION.code)
  if (code === undefined) throw new WasmFormatError('the module has no code section')
  const replaced = new Map<number, Uint8Array>([
    [SECTION.global, appendToVector(find(SECTION.global)?.body, [fuelGlobal])],
    [SECTION.export, appendToVector(find(SECTION.export)?.body, exports)],
    [SECTION.code, instrumentCode(code.body, paramCounts, fuelIndex)],
  ])
  const out: Section[] = []
  for (const s of sections) {
    // A module without a global section gets one in its place: after memory (5), before export (7).
    if (s.id === SECTION.export && find(SECTION.global) === undefined) out.push({ id: SECTION.global, body: replaced.get(SECTION.global)! })
    out.push({ id: s.id, body: replaced.get(s.id) ?? s.body })
  }
  return writeModule(out)
}

function exportEntry(name: string, globalIndex: number): number[] {
  const bytes = [...new TextEncoder().encode(name)]
  return [...u32Leb(bytes.length), ...bytes, 0x03, ...u32Leb(globalIndex)]
}

/** The number of parameters of each function defined in the module, in order. */
function functionParamCounts(types: Section | undefined, functions: Section | undefined): number[] {
  const typeParams: number[] = []
  if (types !== undefined) {
    const r = new ByteReader(types.body)
    for (let n = r.u32(); n > 0; n--) {
      if (r.byte() !== 0x60) throw new WasmFormatError('a type that is not a function type')
      const params = r.u32()
      r.skip(params)
      r.skip(r.u32())
      typeParams.push(params)
    }
  }
  if (functions === undefined) return []
  const r = new ByteReader(functions.body)
  const counts: number[] = []
  for (let n = r.u32(); n > 0; n--) counts.push(typeParams[r.u32()] ?? 0)
  return counts
}

function globalsOf(imports: Section | undefined, globals: Section | undefined): { imported: number; mutable: { definedCount: number; indices: number[] } } {
  let imported = 0
  if (imports !== undefined) {
    const r = new ByteReader(imports.body)
    for (let n = r.u32(); n > 0; n--) {
      r.name()
      r.name()
      const kind = r.byte()
      if (kind === 0x00) r.skipLeb()
      else if (kind === 0x01) {
        r.skip(1)
        limits(r)
      } else if (kind === 0x02) limits(r)
      else if (kind === 0x03) {
        r.skip(2)
        imported++
      } else throw new WasmFormatError(`unknown import kind ${kind}`)
    }
  }
  const indices: number[] = []
  let definedCount = 0
  if (globals !== undefined) {
    const r = new ByteReader(globals.body)
    for (let n = r.u32(); n > 0; n--, definedCount++) {
      r.skip(1)
      if (r.byte() === 0x01) indices.push(imported + definedCount)
      walkConstant(r)
    }
  }
  return { imported, mutable: { definedCount, indices } }
}

function limits(r: ByteReader): void {
  const flags = r.byte()
  r.skipLeb()
  if ((flags & 1) !== 0) r.skipLeb()
}

/** Skips a constant expression (a global's initializer) up to and including its `end`. */
function walkConstant(r: ByteReader): void {
  for (;;) {
    const op = r.byte()
    if (op === OP.end) return
    if (op === 0x43) r.skip(4)
    else if (op === 0x44) r.skip(8)
    else r.skipLeb()
  }
}

/** The code section rewritten into one growing buffer (a few hundred KiB, rewritten at every start). */
function instrumentCode(body: Uint8Array, paramCounts: readonly number[], fuel: number): Uint8Array {
  const r = new ByteReader(body)
  const count = r.u32()
  if (count !== paramCounts.length) throw new WasmFormatError(`${count} function bodies for ${paramCounts.length} functions`)
  const out = new Writer(body.length * 2)
  out.bytes(u32Leb(count))
  const g = u32Leb(fuel)
  const trapIfSpent = [OP.globalGet, ...g, OP.i32Const, 0, OP.i32LtS, OP.if, OP.void, OP.unreachable, OP.end]
  const take = (fuelUnits: number) => [OP.globalGet, ...g, OP.i32Const, ...s32Leb(fuelUnits), OP.i32Sub, OP.globalSet, ...g, ...trapIfSpent]
  const atEntry = Uint8Array.from(take(CALL_FUEL))
  const atLoopTop = Uint8Array.from(take(LOOP_FUEL))
  // The length stays on the stack for the bulk instruction; a copy in the scratch local is charged.
  const beforeBulk = (scratch: number) => {
    const t = u32Leb(scratch)
    return Uint8Array.from([
      OP.localTee, ...t,
      OP.globalGet, ...g, OP.localGet, ...t, OP.i32Const, ...s32Leb(Math.log2(BULK_BYTES_PER_FUEL)), OP.i32ShrU, OP.i32Sub,
      OP.i32Const, ...s32Leb(BULK_FUEL), OP.i32Sub, OP.globalSet, ...g,
      ...trapIfSpent,
    ])
  }
  for (let i = 0; i < count; i++) {
    const size = r.u32()
    const start = r.pos
    r.skip(size)
    // The body's size is written last, in a 5-byte LEB128 (padding is valid), once it is known.
    const sizeAt = out.reserve(5)
    const fn = body.subarray(start, start + size)
    const f = new ByteReader(fn)
    let scratch = paramCounts[i]
    const groups = f.u32()
    const groupsStart = f.pos
    for (let k = 0; k < groups; k++) {
      scratch += f.u32()
      f.skip(1)
    }
    // One more local: the scratch i32 that bulk instructions charge their length from.
    out.bytes(u32Leb(groups + 1))
    out.bytes(fn.subarray(groupsStart, f.pos))
    out.bytes([1, I32])
    out.bytes(atEntry)
    let copied = f.pos
    let bulk: Uint8Array | undefined
    walkExpression(f, (mark) => {
      out.bytes(fn.subarray(copied, mark.at))
      out.bytes(mark.kind === 'loop-top' ? atLoopTop : (bulk ??= beforeBulk(scratch)))
      copied = mark.at
    })
    out.bytes(fn.subarray(copied))
    out.paddedU32At(sizeAt, out.length - sizeAt - 5)
  }
  return out.done()
}

class Writer {
  private buf: Uint8Array
  length = 0
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity)
  }

  bytes(b: ArrayLike<number>): void {
    this.ensure(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
  }

  reserve(n: number): number {
    this.ensure(n)
    this.length += n
    return this.length - n
  }

  paddedU32At(at: number, value: number): void {
    for (let i = 0; i < 5; i++) this.buf[at + i] = ((value >>> (7 * i)) & 0x7f) | (i < 4 ? 0x80 : 0)
  }

  done(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n))
    grown.set(this.buf.subarray(0, this.length))
    this.buf = grown
  }
}
