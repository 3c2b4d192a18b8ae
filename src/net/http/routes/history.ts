// GET /v1/history: entries of the index log, or ops of an oplog, a page at a time.

import { runMethod } from '../../methods.js'
import { bounded, HTTP_METHOD_CONTEXT, type Route } from '../context.js'
import { ANY_JSON, errors } from '../schemas.js'

export const DEFAULT_HISTORY_LIMIT = 100
export const MAX_HISTORY_LIMIT = 1000

interface HistoryQuery {
  log?: string
  start?: number
  end?: number
  limit?: number
}

const RESPONSE = {
  type: 'object',
  required: ['log', 'kind', 'name', 'items'],
  properties: {
    log: { type: 'string', description: '"index" or the oplog\'s public key' },
    kind: { type: 'string', enum: ['index', 'oplog'] },
    name: { type: ['string', 'null'], description: 'the local name of the oplog, when it has one' },
    items: { type: 'array', items: { ...ANY_JSON, description: 'an index entry ({seq, path, entry}) or an op ({seq, op}), bytes as hex' } },
  },
} as const

const POSITION = { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } as const

export const historyRoute: Route = (app, ctx) => {
  app.get<{ Querystring: HistoryQuery }>(
    '/v1/history',
    {
      schema: {
        summary: 'Index or oplog history',
        tags: ['database'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            log: { type: 'string', minLength: 1, maxLength: 128, default: 'index', description: '"index", a local oplog name, or an input\'s public key' },
            start: { ...POSITION, description: 'first position (default 0; negative counts from the end)' },
            end: { ...POSITION, description: 'position to stop before (default: the end; negative counts from the end)' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_HISTORY_LIMIT, default: DEFAULT_HISTORY_LIMIT },
          },
        },
        response: { 200: RESPONSE, ...errors(404, 504) },
      },
    },
    async (req) => {
      const { log = 'index', start = 0, end, limit = DEFAULT_HISTORY_LIMIT } = req.query
      const read = (range: { start: number; end?: number }) =>
        bounded(ctx, runMethod(ctx.db, 'history', { log, ...range }, HTTP_METHOD_CONTEXT), 'the executor to settle')
      // Positions counted from the end need the log's length to cap the page without reading the whole log.
      const length = start < 0 || (end !== undefined && end < 0) ? await logLength(read) : null
      return read(pageRange(start, end, limit, length))
    },
  )
}

/** The log's length, from its last item (one block read). */
async function logLength(read: (range: { start: number }) => Promise<{ items: unknown[] }>): Promise<number> {
  const [last] = (await read({ start: -1 })).items as { seq?: number }[]
  return last?.seq === undefined ? 0 : last.seq + 1
}

/** At most `limit` positions from `start`, in absolute positions once the length is known. */
export function pageRange(start: number, end: number | undefined, limit: number, length: number | null): { start: number; end: number } {
  const at = (n: number) => (length === null ? n : n < 0 ? Math.max(0, length + n) : Math.min(n, length))
  const first = at(start)
  const stop = end === undefined ? first + limit : Math.min(at(end), first + limit)
  return { start: first, end: stop }
}
