// Authorized queries (docs/protocol.md §16, seed 004's CQRS): a read signed by the caller's key,
// answered only if the contract's authorize(query, identity) says so, and answered with a signature
// that binds the result to the sealed head (index length, state root) it was computed at, so the
// caller can hold it against the seal and later claims. A refusal says nothing of the state: the
// same error whether the method, the key or the value exists or not. Browser-safe.

import { encode } from '../codec/canonical.js'
import { fromHex, hash, isPubkeyHex, toHex } from '../codec/hash.js'
import { PROTOCOL } from '../codec/messages.js'
import { sign, verifySignature } from '../codec/sign.js'
import { GlassboxError } from '../errors.js'
import type { Json } from '../vm/types.js'

export const QUERY_FORMAT = 'glassbox-query/1'
export const ANSWER_FORMAT = 'glassbox-answer/1'

/** How far a query's time may be from the answerer's clock: a query is not replayed for longer. */
export const QUERY_WINDOW_MS = 5 * 60_000

/** The one message a refused query gets, whatever the reason: nothing about the state leaks. */
export const REFUSED_MESSAGE = 'the query is not authorized for this key'

export class QueryError extends GlassboxError {}

export interface Query {
  format: typeof QUERY_FORMAT
  database: string
  method: string
  params: Json
  /** When it was signed (ms since the epoch). */
  time: number
  by: string
  signature: string
}

export interface Answer {
  format: typeof ANSWER_FORMAT
  database: string
  /** BLAKE2b-256 of the signed query's canonical form (hex): what this answers. */
  query: string
  /** The sealed head it was computed at. */
  length: number
  stateRoot: string
  /** The method's response, or why the method failed (then result is null). */
  result: Json
  error: string | null
  by: string
  signature: string
}

function signable(kind: 'query' | 'answer', body: Record<string, Json>): Uint8Array {
  const { signature: _signature, ...rest } = body
  return encode({ protocol: PROTOCOL, kind, ...rest })
}

/** Signs a query with a libsodium secret key (64 bytes: seed, then the public key). */
export function signQuery(body: { database: string; method: string; params?: Json }, secretKey: Uint8Array, time = Date.now()): Query {
  const unsigned = { format: QUERY_FORMAT, database: body.database, method: body.method, params: body.params ?? {}, time, by: toHex(secretKey.subarray(32)) }
  return { ...unsigned, signature: toHex(sign(signable('query', unsigned), secretKey)) } as Query
}

/** The hash an answer names its query by. */
export function queryHash(q: Query): string {
  return toHex(hash(encode({ protocol: PROTOCOL, kind: 'query', ...(q as unknown as Record<string, Json>) })))
}

/** A query this database may answer now; throws QueryError (QUERY_MALFORMED, QUERY_SIGNATURE, QUERY_OTHER_DATABASE, QUERY_STALE). */
export function checkQuery(value: unknown, database: string, now = Date.now()): Query {
  const q = value as Query | null
  const malformed = (why: string) => new QueryError('QUERY_MALFORMED', `not a ${QUERY_FORMAT} query: ${why}`)
  if (typeof q !== 'object' || q === null || q.format !== QUERY_FORMAT) throw malformed('wrong or missing format')
  if (typeof q.method !== 'string' || q.method.length === 0) throw malformed('method must be a non-empty string')
  if (!Number.isSafeInteger(q.time)) throw malformed('time must be an integer (ms)')
  if (!isPubkeyHex(q.by) || typeof q.signature !== 'string' || !/^[0-9a-f]{128}$/.test(q.signature)) throw malformed('it needs by (a hex key) and a signature')
  if (q.params === undefined) throw malformed('params is missing')
  const body: Record<string, Json> = { format: q.format, database: q.database, method: q.method, params: q.params, time: q.time, by: q.by }
  let bytes: Uint8Array
  try {
    bytes = signable('query', body)
  } catch (err) {
    throw malformed(`its params are not canonical JSON (${(err as Error).message})`)
  }
  if (!verifySignature(fromHex(q.signature), bytes, fromHex(q.by))) throw new QueryError('QUERY_SIGNATURE', 'the query is not signed by the key it names')
  if (q.database !== database) throw new QueryError('QUERY_OTHER_DATABASE', `the query is for database ${String(q.database).slice(0, 8)}…, not this one`)
  if (Math.abs(now - q.time) > QUERY_WINDOW_MS) throw new QueryError('QUERY_STALE', `the query was signed at ${new Date(q.time).toISOString()}, more than ${QUERY_WINDOW_MS / 60_000} minutes from now: sign it again`)
  return { ...body, signature: q.signature } as unknown as Query
}

export function signAnswer(body: Omit<Answer, 'format' | 'by' | 'signature'>, secretKey: Uint8Array): Answer {
  const unsigned = { format: ANSWER_FORMAT, ...body, by: toHex(secretKey.subarray(32)) }
  return { ...unsigned, signature: toHex(sign(signable('answer', unsigned as unknown as Record<string, Json>), secretKey)) } as Answer
}

/**
 * Checks an answer to `query`: signed by `answerer` (hex; default: whoever it names), for that very
 * query and database. Its head is for the caller to hold against a seal. Throws QueryError.
 */
export function checkAnswer(value: unknown, query: Query, answerer?: string): Answer {
  const a = value as Answer | null
  if (typeof a !== 'object' || a === null || a.format !== ANSWER_FORMAT || !isPubkeyHex(a.by) || typeof a.signature !== 'string' || !/^[0-9a-f]{128}$/.test(a.signature)) {
    throw new QueryError('ANSWER_MALFORMED', `not a ${ANSWER_FORMAT} answer`)
  }
  if (answerer !== undefined && a.by !== answerer) throw new QueryError('ANSWER_OTHER_KEY', `the answer is signed by ${a.by.slice(0, 8)}…, not ${answerer.slice(0, 8)}…`)
  if (!verifySignature(fromHex(a.signature), signable('answer', a as unknown as Record<string, Json>), fromHex(a.by))) throw new QueryError('ANSWER_SIGNATURE', 'the answer is not signed by the key it names')
  if (a.query !== queryHash(query) || a.database !== query.database) throw new QueryError('ANSWER_OTHER_QUERY', 'the answer is not for this query')
  return a
}
