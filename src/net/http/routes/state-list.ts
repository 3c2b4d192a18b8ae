// GET /v1/state: the entries under a prefix, a page at a time. A page is `limit` entries; `next`
// is the cursor to pass as `after` for the following page, or null at the end.

import type { Database } from '../../../database.js'
import type { StateEntry } from '../../../vm/types.js'
import { bounded, type Route } from '../context.js'
import { errors, FLAG, STATE_ENTRY } from '../schemas.js'

export const DEFAULT_LIST_LIMIT = 100
export const MAX_LIST_LIMIT = 1000

interface ListQuery {
  prefix?: string
  limit?: number
  reverse?: boolean
  after?: string
}

const RESPONSE = {
  type: 'object',
  required: ['prefix', 'entries', 'next'],
  properties: {
    prefix: { type: 'string' },
    entries: { type: 'array', items: STATE_ENTRY },
    next: { type: ['string', 'null'], description: 'pass as `after` to get the next page; null on the last page' },
  },
} as const

export const stateListRoute: Route = (app, ctx) => {
  app.get<{ Querystring: ListQuery }>(
    '/v1/state',
    {
      schema: {
        summary: 'List keys under a prefix',
        description: 'The prefix is a path: `/values` lists `/values/…`. The empty prefix lists everything but `.sys/` keys.',
        tags: ['state'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            prefix: { type: 'string', maxLength: 1024, default: '' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT },
            reverse: { ...FLAG, default: false },
            after: { type: 'string', minLength: 1, maxLength: 1024, description: 'the `next` of the previous page' },
          },
        },
        response: { 200: RESPONSE, ...errors(504) },
      },
    },
    async (req) => {
      const { prefix = '', limit = DEFAULT_LIST_LIMIT, reverse = false, after } = req.query
      await bounded(ctx, ctx.db.settled(), 'the executor to settle')
      const page = listPage(ctx.db, prefix, limit, reverse, after)
      return { prefix, ...page }
    },
  )
}

function listPage(
  db: Database,
  prefix: string,
  limit: number,
  reverse: boolean,
  after: string | undefined,
): { entries: StateEntry[]; next: string | null } {
  // db.list applies the limit before it hides `.sys/` keys from the empty prefix: ask for as many
  // more as there are such keys (the contract source and the inputs: a few), then cut the page.
  const hidden = prefix === '' ? db.list('.sys/').length : 0
  const cursor = after === undefined ? {} : reverse ? { lt: after } : { gt: after }
  const entries = db.list(prefix, { limit: limit + 1 + hidden, reverse, ...cursor })
  const more = entries.length > limit
  const page = entries.slice(0, limit)
  return { entries: page, next: more ? page[page.length - 1].key : null }
}
