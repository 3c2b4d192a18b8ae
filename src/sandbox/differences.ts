// How an op's entry under the sandbox's code differs from the original's: its outcome (success, or
// the error it failed with), the changes it made, the process() metadata. State roots are left out:
// the fork's state holds its own oplog's input key, so its roots never equal the original's.

import { encode } from '../codec/canonical.js'
import type { OpEntry } from '../codec/messages.js'
import { decodeOp } from '../codec/messages.js'
import type { Change, Json } from '../vm/types.js'

export interface Outcome {
  success: boolean
  error: string | null
}

export interface EntryDifference {
  /** The entry's position in the original index log. */
  position: number
  /** The oplog that signed the op, and the op's seq in it. */
  origin: string
  opSeq: number
  /** The op as its oplog holds it (null when it does not decode). */
  op: Json | null
  /** Present when the outcome differs: what the original says, what the new code gives. */
  outcome?: { was: Outcome; now: Outcome }
  changes?: { was: Change[]; now: Change[] }
  metadata?: { was: Json; now: Json }
  /** Present when the new code leaves the op's oplog out of the inputs: the fork never takes the op. */
  notProcessed?: string
}

/** The difference between the original's entry and the fork's for one op, or null when they agree. */
export function entryDifference(position: number, published: OpEntry, expected: OpEntry, opBytes: Uint8Array): EntryDifference | null {
  const was = published.ack
  const now = expected.ack
  const diff: EntryDifference = { position, origin: was.origin, opSeq: was.seq, op: decoded(opBytes) }
  let differs = false
  if (was.success !== now.success || was.error !== now.error) {
    diff.outcome = { was: { success: was.success, error: was.error }, now: { success: now.success, error: now.error } }
    differs = true
  }
  if (!same(published.changes, expected.changes)) {
    diff.changes = { was: published.changes, now: expected.changes }
    differs = true
  }
  if (!same(was.metadata, now.metadata)) {
    diff.metadata = { was: was.metadata, now: now.metadata }
    differs = true
  }
  return differs ? diff : null
}

function decoded(bytes: Uint8Array): Json | null {
  try {
    return decodeOp(bytes)
  } catch {
    return null
  }
}

function same(a: unknown, b: unknown): boolean {
  const x = encode(a)
  const y = encode(b)
  return x.length === y.length && x.every((v, i) => v === y[i])
}
