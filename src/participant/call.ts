// The transaction flow of seed 001 §3.4, creating side: call a contract method against the
// current state and publish the ops it emitted to the caller's oplog in one atomic append.

import type Hypercore from 'hypercore'
import { encodeOp } from '../codec/messages.js'
import { toHex } from '../codec/hash.js'
import { CallError } from '../errors.js'
import type { ContractVM } from '../vm/index.js'
import type { Json, StateReader } from '../vm/types.js'

/** An op published to an oplog: where it is and what it says. */
export interface OpRef {
  origin: string
  seq: number
  op: Json
}

export interface PublishedCall {
  response: Json
  ops: OpRef[]
}

export interface CallParameters {
  vm: ContractVM
  state: StateReader
  /** The caller's oplog; null for a read-only caller. */
  oplog: Hypercore | null
  isWriter: boolean
  maxOpBytes: number
  /** Runs the (synchronous) method on the state readers may see: an executor's committed head. */
  atHead?: <T>(fn: () => T) => T
  /** A confidential database: seals each op block before it is appended (docs/protocol.md §17.4). */
  seal?: (op: Buffer) => Promise<Buffer>
  /** Appends to the oplog, durable first (the directory's journal, log/append-journal.ts); default: the oplog's own append. */
  append?: (oplog: Hypercore, blocks: Buffer[]) => Promise<{ length: number }>
}

export async function callMethod(method: string, params: Json, p: CallParameters): Promise<PublishedCall> {
  if (!p.vm.isReady) await p.vm.ready()
  const prepared = p.atHead ? p.atHead(() => prepareCall(method, params, p)) : prepareCall(method, params, p)
  if (prepared.ops.length === 0 || !p.oplog) return { response: prepared.response, ops: [] }
  const blocks = p.seal ? await Promise.all(prepared.blocks.map(p.seal)) : prepared.blocks
  const { length } = await (p.append ? p.append(p.oplog, blocks) : p.oplog.append(blocks))
  const first = length - prepared.blocks.length
  return {
    response: prepared.response,
    ops: prepared.ops.map((op, i) => ({ origin: prepared.origin as string, seq: first + i, op })),
  }
}

/** A call run but not published: its response and the ops it would append, checked and encoded. */
export interface PreparedCall {
  response: Json
  /** The caller's oplog key (hex), null for a caller without one. */
  origin: string | null
  ops: Json[]
  blocks: Buffer[]
}

/**
 * Runs a method against the state, synchronously (the VM must be ready), and checks the ops it
 * emitted as a call would before publishing them: a dry run uses it without publishing.
 */
export function prepareCall(method: string, params: Json, p: CallParameters): PreparedCall {
  const pubkey = p.oplog ? toHex(p.oplog.key) : null
  const result = p.vm.call(method, params, {
    state: p.state,
    isWriter: p.isWriter,
    oplog: p.oplog && pubkey ? { pubkey, length: p.oplog.length } : null,
  })
  if (result.ops.length === 0) return { response: result.response, origin: pubkey, ops: [], blocks: [] }
  if (!p.oplog || !pubkey) {
    throw new CallError('NO_OPLOG', `${method}() emitted ${result.ops.length} op(s) but the caller has no oplog`)
  }
  if (!p.isWriter) {
    throw new CallError(
      'NOT_A_WRITER',
      `${method}() emitted ops but oplog ${pubkey.slice(0, 8)}… is not an input of this database, so they would never be processed`,
    )
  }
  const blocks = result.ops.map((op, i) => {
    const bytes = encodeOp(op)
    if (bytes.length > p.maxOpBytes) {
      throw new CallError('OP_TOO_LARGE', `op ${i} of ${method}() is ${bytes.length} bytes, over the limit of ${p.maxOpBytes}`)
    }
    return Buffer.from(bytes)
  })
  return { response: result.response, origin: pubkey, ops: result.ops, blocks }
}
