// POST /v1/preview/:method: a dry run of a call (docs/http.md): the ops the method would emit,
// executed on the sealed head and taken back. It publishes nothing, so it needs no token.

import type { Json } from '../../../vm/types.js'
import { runMethod } from '../../methods.js'
import { bounded, HTTP_METHOD_CONTEXT, type Route } from '../context.js'
import { ANY_JSON, CHANGE, errors, HEX64 } from '../schemas.js'

const RESPONSE = {
  type: 'object',
  required: ['method', 'response', 'head', 'ops', 'stateRoot'],
  properties: {
    method: { type: 'string' },
    response: ANY_JSON,
    head: { type: 'object', properties: { length: { type: 'integer' }, stateRoot: HEX64 } },
    ops: {
      type: 'array',
      items: {
        type: 'object',
        properties: { op: ANY_JSON, success: { type: 'boolean' }, error: { type: ['string', 'null'] }, metadata: ANY_JSON, changes: { type: 'array', items: CHANGE }, stateRoot: HEX64 },
      },
    },
    stateRoot: { ...HEX64, description: 'the state root the ops would leave' },
  },
} as const

export const previewRoute: Route = (app, ctx) => {
  app.post<{ Params: { method: string }; Body: { params?: Json } }>(
    '/v1/preview/:method',
    {
      schema: {
        summary: 'Dry-run a contract method',
        description: "Runs the method as the server's oplog and executes the ops it emits on the sealed head, then takes them back: nothing is published.",
        tags: ['contract'],
        params: { type: 'object', required: ['method'], properties: { method: { type: 'string', minLength: 1, maxLength: 256 } } },
        body: { type: 'object', additionalProperties: false, properties: { params: { ...ANY_JSON, description: 'the method params (default {})' } } },
        response: { 200: RESPONSE, ...errors(404, 409, 413, 415, 422, 503, 504) },
      },
      preValidation: async (req) => {
        req.body ??= {}
      },
    },
    async (req) => bounded(ctx, runMethod(ctx.db, 'preview', { method: req.params.method, params: req.body.params ?? {} }, HTTP_METHOD_CONTEXT), 'a block seal'),
  )
}
