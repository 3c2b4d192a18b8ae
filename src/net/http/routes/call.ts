// POST /v1/call/:method: calls a contract method. Without the server's token the caller is a
// reader: a method that only reads answers, one that emits ops is refused and publishes nothing.
// With the token, ops go to the server's first local oplog and (by default) the answer waits for
// the executor to process them, as `glassbox call` does.

import { toJson } from '../../../codec/json.js'
import type { OpRef } from '../../../participant/call.js'
import { CallError } from '../../../errors.js'
import type { Json } from '../../../vm/types.js'
import { runMethod, type CallOutput } from '../../methods.js'
import { bounded, HTTP_METHOD_CONTEXT, type Route, type RouteContext } from '../context.js'
import { HttpError } from '../errors.js'
import { ANY_JSON, CHANGE, errors, HEX64, RECEIPT_FILE } from '../schemas.js'

interface CallBody {
  params?: Json
  wait?: boolean
  receipt?: boolean
}

const BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    params: { ...ANY_JSON, description: 'the method params (default {})' },
    wait: { type: 'boolean', default: true, description: 'wait until the executor has processed the emitted ops' },
    receipt: { type: 'boolean', default: false, description: 'also return a receipt for the emitted ops (implies wait)' },
  },
} as const

const OUTCOME = {
  type: ['object', 'null'],
  description: 'what the op became once processed; null when the call did not wait',
  properties: {
    index: { type: 'integer' },
    success: { type: 'boolean' },
    error: { type: ['string', 'null'] },
    ts: { type: 'number' },
    metadata: ANY_JSON,
    changes: { type: 'array', items: CHANGE },
  },
} as const

const RESPONSE = {
  type: 'object',
  required: ['method', 'response', 'ops'],
  properties: {
    method: { type: 'string' },
    response: ANY_JSON,
    ops: {
      type: 'array',
      items: { type: 'object', properties: { origin: HEX64, seq: { type: 'integer' }, op: ANY_JSON, outcome: OUTCOME } },
    },
    receipt: RECEIPT_FILE,
  },
} as const

export const callRoute: Route = (app, ctx) => {
  app.post<{ Params: { method: string }; Body: CallBody }>(
    '/v1/call/:method',
    {
      schema: {
        summary: 'Call a contract method',
        description: 'Anyone may call a method that only reads. A method that emits ops needs `Authorization: Bearer <token>`.',
        tags: ['contract'],
        security: [{}, { bearer: [] }],
        params: { type: 'object', required: ['method'], properties: { method: { type: 'string', minLength: 1, maxLength: 256 } } },
        body: BODY,
        response: { 200: RESPONSE, ...errors(401, 403, 404, 409, 413, 415, 422, 503, 504) },
      },
      // A call without params may come without a body at all.
      preValidation: async (req) => {
        req.body ??= {}
      },
    },
    async (req) => {
      const { method } = req.params
      const params = req.body.params ?? {}
      if (!ctx.auth.check(req.headers.authorization)) return readerCall(ctx, method, params)
      return writerCall(ctx, method, params, req.body)
    },
  )
}

async function readerCall(ctx: RouteContext, method: string, params: Json): Promise<CallOutput> {
  await bounded(ctx, ctx.db.settled(), 'the executor to settle')
  try {
    const called = await ctx.db.call(method, params, { readOnly: true })
    return { method, response: toJson(called.response), ops: [] }
  } catch (err) {
    // A reader has no oplog, so a method that emits ops fails before anything is published.
    if (!(err instanceof CallError && err.code === 'NO_OPLOG')) throw err
    if (!ctx.auth.writesEnabled) {
      throw new HttpError('WRITES_DISABLED', 403, `${method}() emits ops, and this server accepts no writes (it was started without a token); nothing was published`)
    }
    throw new HttpError('UNAUTHORIZED', 401, `${method}() emits ops: send "Authorization: Bearer <token>" to call it; nothing was published`)
  }
}

async function writerCall(ctx: RouteContext, method: string, params: Json, body: CallBody): Promise<CallOutput> {
  const receipt = body.receipt ?? false
  const wait = (body.wait ?? true) || receipt
  // Publish first without waiting, so that a wait that times out can still name the published ops.
  const out = await runMethod(ctx.db, 'call', { method, params, wait: false }, HTTP_METHOD_CONTEXT)
  if (!wait || out.ops.length === 0) return out
  const refs: OpRef[] = out.ops.map(({ origin, seq, op }) => ({ origin, seq, op }))
  const ids = refs.map(({ origin, seq }) => ({ origin, seq }))
  const results = await bounded(ctx, ctx.db.whenProcessed(refs), 'the executor to process the ops', ids)
  const processed: CallOutput = {
    ...out,
    ops: out.ops.map((o, i) => {
      const { index, success, error, ts, metadata, changes } = results[i]
      return { ...o, outcome: toJson({ index, success, error, ts, metadata, changes }) as unknown as CallOutput['ops'][number]['outcome'] }
    }),
  }
  if (receipt) processed.receipt = toJson(await bounded(ctx, ctx.db.receipt(refs), 'a block seal to anchor the receipt', ids)) as unknown as CallOutput['receipt']
  return processed
}
