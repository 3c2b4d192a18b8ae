// One op through the processing flow of seed 001 §3.3: process(), the ack, apply(), the entry.
// The monitor's replay recomputes entries with the same function, given the recorded ack.

import { decodeOp, encodeEntry, type Ack, type OpEntry } from '../codec/messages.js'
import type { IndexState } from '../state/index-state.js'
import type { Undo } from '../state/memory-state.js'
import type { ContractVM } from '../vm/index.js'
import type { ApplyState, Json, StateReader, SystemKeys } from '../vm/types.js'

/** An op block of a confidential database that does not open (docs/protocol.md §17.4): its entry fails with `unopened`. */
export interface UnopenedOp {
  unopened: string
}

/** An op's bytes, or (a confidential database) the reason its envelope did not open. */
export type OpBytes = Uint8Array | UnopenedOp

/** What executeOp and the replay run for an opened (or unopened) op envelope. */
export function opened(result: { bytes: Uint8Array } | { error: string }): OpBytes {
  return 'error' in result ? { unopened: result.error } : result.bytes
}

export interface OpSource {
  origin: string
  seq: number
  /** The op's block as stored in the oplog (opened, for a confidential database). */
  bytes: OpBytes
  /** The oplog's length as the executor saw it, and its tree hash at that length. */
  oplogLength: number
  oplogHash: Uint8Array
}

/** An op's entry before its post-state root is known. */
export type OpDraft = Omit<OpEntry, 'stateRoot'>

/** An entry with its canonical bytes: encoded once, then appended (executor) or compared (monitor). */
export interface EncodedEntry {
  entry: OpEntry
  bytes: Uint8Array
}

export interface ExecuteOptions {
  /** Executor time for the ack, ms since the epoch. */
  ts: number
  maxOpBytes: number
  /** The database's own log keys, which addOplog refuses. */
  systemKeys: SystemKeys
}

/** Runs one op on the executor: calls process() (non-deterministic, recorded) and then apply(). */
export function executeOp(vm: ContractVM, src: OpSource, state: StateReader, opts: ExecuteOptions): OpDraft {
  const base = { origin: src.origin, seq: src.seq, oplogLength: src.oplogLength, oplogHash: src.oplogHash, ts: opts.ts }
  const read = readOp(src.bytes, opts.maxOpBytes)
  if ('error' in read) return failedEntry({ ...base, metadata: null }, read.error)
  const op = read.op
  let metadata: Json = null
  if (vm.hasProcess) {
    try {
      metadata = vm.process(op) ?? null
    } catch (err) {
      return failedEntry({ ...base, metadata: null }, `process() failed: ${(err as Error).message}`)
    }
  }
  return applyOp(vm, op, { ...base, metadata }, state, opts.systemKeys)
}

/**
 * apply() for an op whose ack fields (including process() metadata) are already known. Every path
 * that runs apply (executor, replay, fraud proofs, judge) comes through here, so all of them give
 * the sandbox the database's own log keys and refuse them as inputs alike.
 */
export function applyOp(vm: ContractVM, op: Json, ack: Omit<Ack, 'success' | 'error'>, state: StateReader, systemKeys: SystemKeys): OpDraft {
  const scoped: ApplyState = { get: (key) => state.get(key), list: (prefix, opts) => state.list(prefix, opts), systemKeys }
  // Values crossing the sandbox nest at most MAX_JSON_DEPTH (32) levels, so a change always fits
  // the canonical encoding's 64 levels inside its entry: no participant can make an entry unencodable.
  const result = vm.apply(op, { origin: ack.origin, seq: ack.seq, ts: ack.ts, metadata: ack.metadata }, scoped)
  if (!result.success) return failedEntry(ack, result.error ?? 'apply failed')
  return { type: 'op', ack: { ...ack, success: true, error: null }, changes: result.changes }
}

/**
 * Folds an op's entry into the state, completes it with the post-state root and encodes it: the
 * last step of processing an op, shared by the executor and the monitor's replay.
 */
export function finishEntry(draft: OpDraft, view: IndexState, undo?: Undo[]): EncodedEntry {
  view.fold(draft, undo)
  const entry: OpEntry = { ...draft, stateRoot: view.state.root() }
  return { entry, bytes: encodeEntry(entry) }
}

/** Decodes an op block, or says why it cannot be processed (the op then fails; its seq is spent). */
export function readOp(bytes: OpBytes, maxOpBytes: number): { op: Json } | { error: string } {
  if (!(bytes instanceof Uint8Array)) return { error: bytes.unopened }
  if (bytes.length > maxOpBytes) return { error: `op of ${bytes.length} bytes exceeds the limit of ${maxOpBytes}` }
  try {
    return { op: decodeOp(bytes) }
  } catch (err) {
    return { error: `malformed op: ${(err as Error).message}` }
  }
}

/** The entry of an op that failed: the ack says why, and there are no changes. */
export function failedEntry(ack: Omit<Ack, 'success' | 'error'>, error: string): OpDraft {
  return { type: 'op', ack: { ...ack, success: false, error }, changes: [] }
}
