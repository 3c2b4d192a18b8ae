// One op through the processing flow of seed 001 §3.3: process(), the ack, apply(), the entry.
// The monitor's replay recomputes entries with the same function, given the recorded ack.

import { decodeOp, encodeEntry, type Ack, type OpEntry } from '../codec/messages.js'
import type { ContractVM } from '../vm/index.js'
import type { Json, StateReader } from '../vm/types.js'

export interface OpSource {
  origin: string
  seq: number
  /** The op's block as stored in the oplog. */
  bytes: Uint8Array
  /** The oplog's length as the executor saw it, and its tree hash at that length. */
  oplogLength: number
  oplogHash: Uint8Array
}

export interface ExecuteOptions {
  /** Executor time for the ack, ms since the epoch. */
  ts: number
  maxOpBytes: number
}

/** Runs one op on the executor: calls process() (non-deterministic, recorded) and then apply(). */
export function executeOp(vm: ContractVM, src: OpSource, state: StateReader, opts: ExecuteOptions): OpEntry {
  const base = { origin: src.origin, seq: src.seq, oplogLength: src.oplogLength, oplogHash: src.oplogHash, ts: opts.ts }
  const read = readOp(src.bytes, opts.maxOpBytes)
  if ('error' in read) return failed({ ...base, metadata: null }, read.error)
  const op = read.op
  let metadata: Json = null
  if (vm.hasProcess) {
    try {
      metadata = vm.process(op) ?? null
    } catch (err) {
      return failed({ ...base, metadata: null }, `process() failed: ${(err as Error).message}`)
    }
  }
  return applyOp(vm, op, { ...base, metadata }, state)
}

/** apply() for an op whose ack fields (including process() metadata) are already known. */
export function applyOp(vm: ContractVM, op: Json, ack: Omit<Ack, 'success' | 'error'>, state: StateReader): OpEntry {
  const result = vm.apply(op, { origin: ack.origin, seq: ack.seq, ts: ack.ts, metadata: ack.metadata }, state)
  if (!result.success) return failed(ack, result.error ?? 'apply failed')
  const entry: OpEntry = { type: 'op', ack: { ...ack, success: true, error: null }, changes: result.changes }
  // An entry the log cannot hold (a value nested too deep for the encoding) must fail the op, not
  // stop the executor: otherwise one participant could halt the database for good.
  try {
    encodeEntry(entry)
  } catch (err) {
    return failed(ack, `the op's changes cannot be encoded: ${(err as Error).message}`)
  }
  return entry
}

/** Decodes an op block, or says why it cannot be processed (the op then fails; its seq is spent). */
export function readOp(bytes: Uint8Array, maxOpBytes: number): { op: Json } | { error: string } {
  if (bytes.length > maxOpBytes) return { error: `op of ${bytes.length} bytes exceeds the limit of ${maxOpBytes}` }
  try {
    return { op: decodeOp(bytes) }
  } catch (err) {
    return { error: `malformed op: ${(err as Error).message}` }
  }
}

function failed(ack: Omit<Ack, 'success' | 'error'>, error: string): OpEntry {
  return { type: 'op', ack: { ...ack, success: false, error }, changes: [] }
}
