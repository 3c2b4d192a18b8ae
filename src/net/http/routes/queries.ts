// POST /v1/queries: answers a signed query (docs/protocol.md §16) if the contract's authorize()
// allows it for the key that signed it, with an answer signed by this server's own key and bound to
// the sealed head. A refusal is the same 403 whatever the state holds. The query is its own
// authentication (a signature, not the server's bearer token).

import { bounded, type Route } from '../context.js'
import { ANY_JSON, errors, HEX64 } from '../schemas.js'

const ANSWER = {
  type: 'object',
  required: ['format', 'database', 'query', 'length', 'stateRoot', 'result', 'error', 'by', 'signature'],
  properties: {
    format: { type: 'string', const: 'glassbox-answer/1' },
    database: HEX64,
    query: { ...HEX64, description: "BLAKE2b-256 of the query's canonical form" },
    length: { type: 'integer', description: 'the sealed index length the answer was computed at' },
    stateRoot: HEX64,
    result: ANY_JSON,
    error: { type: ['string', 'null'], description: 'why the method failed (result is then null)' },
    by: HEX64,
    signature: { type: 'string' },
  },
} as const

export const queriesRoute: Route = (app, ctx) => {
  app.post(
    '/v1/queries',
    {
      schema: {
        summary: 'Answer a signed query',
        description:
          "Body: a glassbox-query/1 (format, database, method, params, time, by, signature). Answered only if the contract's authorize(query, identity) returns true for `by`; the answer is signed by this server's key and names the sealed head it was computed at. 403 QUERY_REFUSED is the one refusal, whatever the reason.",
        tags: ['contract'],
        body: { type: 'object', additionalProperties: true },
        response: { 200: ANSWER, ...errors(403, 413, 415, 504) },
      },
    },
    async (req) => bounded(ctx, ctx.db.answerQuery(req.body), 'a block seal'),
  )
}
