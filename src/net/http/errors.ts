// Every HTTP error is `{error: {code, message}}` with a stable code. Errors from the database
// layer already carry a code (src/errors.ts); this file decides the status each code gets, and
// turns fastify's own errors (schema, body, content type) into the same shape.

import { EncodeError, GlassboxError } from '../../errors.js'

/** A published op named in an error, so that a client can ask for its receipt later. */
export interface OpId {
  origin: string
  seq: number
}

/** An error the API raises itself, with the HTTP status it answers with. */
export class HttpError extends GlassboxError {
  constructor(
    code: string,
    readonly status: number,
    message: string,
    /** Ops already published when the error happened (they stay published). */
    readonly ops?: OpId[],
  ) {
    super(code, message)
  }
}

export interface ErrorBody {
  error: { code: string; message: string; ops?: OpId[] }
}

/**
 * Statuses of the codes a request can meet. Codes not listed keep their code and answer 500: they
 * are faults of the server or its logs, not of the request.
 */
export const STATUS_OF: Readonly<Record<string, number>> = {
  VALIDATION: 400,
  INVALID_JSON: 400,
  INVALID_PARAMS: 400,
  BAD_REQUEST: 400,
  USAGE: 400,
  PROOF_RANGE: 400,
  DISPUTE_MESSAGE: 400,
  DISPUTE_RANGE: 400,
  QUERY_MALFORMED: 400,
  QUERY_SIGNATURE: 400,
  QUERY_OTHER_DATABASE: 400,
  QUERY_STALE: 400,
  UNAUTHORIZED: 401,
  WRITES_DISABLED: 403,
  QUERY_REFUSED: 403,
  CONFIDENTIAL: 403,
  NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  UNKNOWN_METHOD: 404,
  UNKNOWN_LOG: 404,
  UNKNOWN_OPLOG: 404,
  OP_NOT_FOUND: 404,
  FRAUD_PROOF_NOT_FOUND: 404,
  FRAUD_PROOF_UNAVAILABLE: 404,
  NO_SUCH_DISPUTE: 404,
  NO_OPLOG: 409,
  NOT_A_WRITER: 409,
  OPLOG_NOT_INPUT: 409,
  ACK_BEFORE_HISTORY: 409,
  NOT_A_PARTY: 409,
  NOT_MY_ROOT: 409,
  NO_DISPUTE: 409,
  HISTORY_BROKEN: 409,
  BODY_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CALL_FAILED: 422,
  LIMIT_EXCEEDED: 422,
  OP_TOO_LARGE: 422,
  PROCESS_FAILED: 422,
  STEP_REFUSED: 422,
  RATE_LIMITED: 429,
  TOO_MANY_DISPUTES: 429,
  INTERNAL: 500,
  NO_MONITOR: 503,
  NO_CLAIMS: 503,
  NO_EXECUTOR: 503,
  NOT_SEALED: 503,
  SHUTTING_DOWN: 503,
  TIMEOUT: 504,
}

/** Codes the VM uses that the HTTP API names differently (the API's names are the stable ones). */
const RENAMED: Readonly<Record<string, string>> = {
  METHOD_NOT_FOUND: 'UNKNOWN_METHOD',
}

/** fastify's request errors, by their code; a message here replaces fastify's (which echoes the URL). */
const FASTIFY: Readonly<Record<string, { code: string; message?: string }>> = {
  FST_ERR_VALIDATION: { code: 'VALIDATION' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'request bodies must be JSON (Content-Type: application/json)' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_JSON' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG', message: 'a path segment of the URL is too long' },
  FST_ERR_BAD_URL: { code: 'BAD_REQUEST', message: 'the URL path is not validly percent-encoded' },
}

export interface ErrorReply {
  status: number
  body: ErrorBody
  /** True when the error is not one the API expected: log it, show the client nothing of it. */
  internal: boolean
}

/** The status and JSON body an error answers with. Stacks and foreign messages never leave. */
export function errorReply(err: unknown): ErrorReply {
  if (err instanceof HttpError) return reply(err.status, err.code, err.message, err.ops)
  if (err instanceof GlassboxError) {
    const code = RENAMED[err.code] ?? err.code
    // A value the contract made that cannot be encoded (NaN, undefined...) is the call's fault.
    const status = STATUS_OF[code] ?? (err instanceof EncodeError ? 422 : 500)
    return reply(status, code, err.message)
  }
  const e = err as { code?: unknown; statusCode?: unknown; validation?: unknown; message?: unknown }
  const known = typeof e?.code === 'string' ? FASTIFY[e.code] : undefined
  if (known) return reply(STATUS_OF[known.code] ?? 400, known.code, known.message ?? String(e.message))
  if (e?.validation) return reply(400, 'VALIDATION', String(e.message))
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Other malformed requests fastify rejects (bad Content-Length, proto pollution...).
    return reply(e.statusCode, 'BAD_REQUEST', String(e.message))
  }
  return { ...reply(500, 'INTERNAL', 'internal error (the server log has the details)'), internal: true }
}

function reply(status: number, code: string, message: string, ops?: OpId[]): ErrorReply {
  return { status, body: { error: { code, message, ...(ops && ops.length > 0 ? { ops } : {}) } }, internal: false }
}

/** Keeps an error's code and status and names the ops that were published before it happened. */
export function withOps(err: unknown, ops: OpId[]): unknown {
  if (ops.length === 0 || (err instanceof HttpError && err.ops)) return err
  const { status, body, internal } = errorReply(err)
  if (internal) return err
  return new HttpError(body.error.code, status, `${body.error.message} (the ops were published and stay published)`, ops)
}
