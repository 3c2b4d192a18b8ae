// POST /v1/receipts: a receipt file for ops already published (by this server or anyone whose
// oplog is an input), e.g. after a call that did not wait or whose wait timed out. Waits, within
// the request deadline, for the executor to process ops it has not reached yet.

import type { OpRef } from '../../../participant/call.js'
import type { Json } from '../../../vm/types.js'
import { bounded, type Route, type RouteContext } from '../context.js'
import { HttpError, type OpId } from '../errors.js'
import { errors, HEX64, RECEIPT_FILE } from '../schemas.js'

export const MAX_RECEIPT_OPS = 64

const BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['ops'],
  properties: {
    ops: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_RECEIPT_OPS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['origin', 'seq'],
        properties: { origin: { ...HEX64, description: "the oplog's public key" }, seq: { type: 'integer', minimum: 0 } },
      },
    },
  },
} as const

export const receiptsRoute: Route = (app, ctx) => {
  app.post<{ Body: { ops: OpId[] } }>(
    '/v1/receipts',
    {
      schema: {
        summary: 'Receipt for published ops',
        tags: ['proofs'],
        body: BODY,
        response: { 200: RECEIPT_FILE, ...errors(404, 409, 413, 415, 503, 504) },
      },
    },
    async (req) => {
      const refs = await readOps(ctx, req.body.ops)
      return bounded(ctx, ctx.db.receipt(refs), 'the executor to process the ops and seal them', req.body.ops)
    },
  )
}

/** The ops as the database's receipt wants them, read back from their oplogs (which checks they exist). */
async function readOps(ctx: RouteContext, ids: OpId[]): Promise<OpRef[]> {
  const info = await ctx.db.info()
  // Only logs the database knows: opening an unknown key would create an empty log for it.
  const known = new Set([...info.inputs, ...info.oplogs.map((o) => o.pubkey)])
  const refs: OpRef[] = []
  for (const { origin, seq } of ids) {
    if (!known.has(origin)) throw new HttpError('UNKNOWN_OPLOG', 404, `oplog ${origin.slice(0, 8)}… is neither an input nor a local oplog of this database`)
    const [item] = await ctx.db.history({ log: origin, start: seq, end: seq + 1 })
    if (!item) throw new HttpError('OP_NOT_FOUND', 404, `oplog ${origin.slice(0, 8)}… holds no op ${seq}`)
    refs.push({ origin, seq, op: item.log === 'oplog' ? item.op : (null as Json) })
  }
  return refs
}
