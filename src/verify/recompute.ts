// The heart of the one replay engine (STYLE.md): recompute one op entry from its ack, the op's bytes
// and a state reader at the pre-state, and say how the published entry differs. The monitor calls
// it with its full state (an AuthMap), the judge with a proof witness (a PartialTrie); neither has
// its own copy of the rules.

import { encode } from '../codec/canonical.js'
import { toHex } from '../codec/hash.js'
import { encodeEntry, type OpEntry } from '../codec/messages.js'
import { applyOp, failedEntry, readOp, type OpBytes, type OpDraft } from '../executor/execute-op.js'
import type { ContractVM } from '../vm/index.js'
import type { Change, Json, StateReader, SystemKeys } from '../vm/types.js'
import type { BreachClass } from './breach.js'

/** Why a published op entry is not the recomputed one. */
export interface Diagnosis {
  class: BreachClass
  message: string
  expected: Json
  found: Json
}

export interface Recomputation {
  /** The entry an honest executor would have written for this ack, with its post-state root. */
  expected: OpEntry
  bytes: Uint8Array
  draft: OpDraft
  /** Null when the published entry is byte for byte the recomputed one. */
  diagnosis: Diagnosis | null
}

/**
 * The draft (entry without its post-state root) an honest executor writes for `published.ack`,
 * running the op `opBytes` on `vm` (the contract active at the pre-state) over `state`, in the
 * database whose own log keys are `systemKeys`.
 */
export function recomputeDraft(vm: ContractVM, published: OpEntry, opBytes: OpBytes, state: StateReader, systemKeys: SystemKeys): OpDraft {
  const { ack } = published
  const base = { origin: ack.origin, seq: ack.seq, oplogLength: ack.oplogLength, oplogHash: ack.oplogHash, ts: ack.ts }
  const read = readOp(opBytes, vm.limits.maxOpBytes)
  if ('error' in read) return failedEntry({ ...base, metadata: null }, read.error)
  if (!vm.hasProcess) return applyOp(vm, read.op, { ...base, metadata: null }, state, systemKeys)
  // process() may be non-deterministic: its recorded result (or recorded failure) stands. A
  // recorded failure is still an entry the executor builds one way: no metadata, no changes.
  if (!ack.success && ack.error?.startsWith('process() failed: ')) return failedEntry({ ...base, metadata: null }, ack.error)
  return applyOp(vm, read.op, { ...base, metadata: ack.metadata }, state, systemKeys)
}

/**
 * Recomputes `published` (whose canonical bytes are `publishedBytes`) and compares. `rootAfter`
 * gives the post-state root of a draft: the monitor folds it into its state, the judge applies its
 * changes to the witness.
 */
export function recompute(
  vm: ContractVM,
  published: OpEntry,
  publishedBytes: Uint8Array,
  opBytes: OpBytes,
  state: StateReader,
  systemKeys: SystemKeys,
  rootAfter: (draft: OpDraft) => Uint8Array,
): Recomputation {
  const draft = recomputeDraft(vm, published, opBytes, state, systemKeys)
  const expected: OpEntry = { ...draft, stateRoot: rootAfter(draft) }
  const bytes = encodeEntry(expected)
  const diagnosis = sameBytes(bytes, publishedBytes) ? null : diagnose(published, expected, vm.hasProcess)
  return { expected, bytes, draft, diagnosis }
}

/** The first way `found` differs from `expected`, in the order the protocol checks an entry. */
export function diagnose(found: OpEntry, expected: OpEntry, hasProcess: boolean): Diagnosis {
  const e = expected.ack
  const f = found.ack
  if (!sameJson(f.metadata, e.metadata)) {
    const why = hasProcess ? 'its process() failed' : 'the contract has no process()'
    return { class: 'ack-mismatch', message: `the ack carries metadata but ${why}`, expected: e.metadata, found: f.metadata }
  }
  if (e.success !== f.success || e.error !== f.error) {
    const show = (a: typeof e) => (a.success ? 'success' : `failure: ${a.error}`)
    return { class: 'wrong-outcome', message: `the contract gives ${show(e)}, the entry says ${show(f)}`, expected: show(e), found: show(f) }
  }
  const i = firstDifference(expected.changes, found.changes)
  if (i < Math.max(expected.changes.length, found.changes.length)) {
    const ec = expected.changes[i] ?? null
    const fc = found.changes[i] ?? null
    const system = [ec, fc].some((c) => c && c.key.startsWith('.sys/'))
    const counts = `${expected.changes.length} change(s) expected, ${found.changes.length} found`
    return { class: system ? 'unexplained-switch' : 'changes-mismatch', message: `change ${i} differs (${counts})`, expected: ec as Json, found: fc as Json }
  }
  const want = toHex(expected.stateRoot)
  const got = toHex(found.stateRoot)
  return { class: 'wrong-root', message: `the state root after the op is ${want.slice(0, 8)}…, the entry claims ${got.slice(0, 8)}…`, expected: want, found: got }
}

function firstDifference(a: readonly Change[], b: readonly Change[]): number {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (!a[i] || !b[i] || !sameBytes(encode(a[i]), encode(b[i]))) return i
  }
  return n
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function sameJson(a: Json, b: Json): boolean {
  return sameBytes(encode(a), encode(b))
}
