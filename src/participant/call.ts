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
}

export async function callMethod(method: string, params: Json, p: CallParameters): Promise<PublishedCall> {
  const pubkey = p.oplog ? toHex(p.oplog.key) : null
  if (!p.vm.isReady) await p.vm.ready()
  const result = p.vm.call(method, params, {
    state: p.state,
    isWriter: p.isWriter,
    oplog: p.oplog && pubkey ? { pubkey, length: p.oplog.length } : null,
  })
  if (result.ops.length === 0) return { response: result.response, ops: [] }
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
  const { length } = await p.oplog.append(blocks)
  const first = length - blocks.length
  return {
    response: result.response,
    ops: result.ops.map((op, i) => ({ origin: pubkey, seq: first + i, op })),
  }
}
