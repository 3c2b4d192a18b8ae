// GET /v1/execution-proof?from=&to=: a proof of execution for a range of the index log
// (docs/protocol.md §11.6), for light clients that re-execute what claims do not settle.

import type { Route } from '../context.js'
import { bounded } from '../context.js'
import { errors } from '../schemas.js'

export const executionProofRoute: Route = (app, ctx) => {
  app.get<{ Querystring: { from: number; to: number } }>(
    '/v1/execution-proof',
    {
      schema: {
        summary: 'Proof of execution for a range of entries',
        description: 'Entries from..to-1 under the seal at `to`, each op with what re-executes it statelessly; `from=0` starts right after genesis. If the range breaks the contract, `fraudProof` instead.',
        tags: ['verification'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 1 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['range', 'fraudProof', 'reason'],
            properties: { range: { type: 'object', nullable: true }, fraudProof: { type: 'object', nullable: true }, reason: { type: 'string', nullable: true } },
          },
          ...errors(400, 503, 504),
        },
      },
    },
    async (req) => bounded(ctx, ctx.db.executionProof(req.query.from, req.query.to), 'the range proof'),
  )
}
