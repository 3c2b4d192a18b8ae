// GET /v1/state/:key: one key's value, and with ?proof=true a state proof a third party can check
// offline. Without a proof a missing key is a 404; with one, its absence is what gets proven.

import { runMethod } from '../../methods.js'
import { bounded, HTTP_METHOD_CONTEXT, type Route } from '../context.js'
import { HttpError } from '../errors.js'
import { ANY_JSON, errors, FLAG, STATE_PROOF_FILE } from '../schemas.js'

const RESPONSE = {
  type: 'object',
  required: ['key', 'found', 'value'],
  properties: { key: { type: 'string' }, found: { type: 'boolean' }, value: ANY_JSON, proof: STATE_PROOF_FILE },
} as const

export const stateGetRoute: Route = (app, ctx) => {
  app.get<{ Params: { key: string }; Querystring: { proof?: boolean } }>(
    '/v1/state/:key',
    {
      schema: {
        summary: 'Read one key',
        description: 'The key is URL-encoded as one path segment (`/count` is `%2Fcount`).',
        tags: ['state'],
        params: { type: 'object', required: ['key'], properties: { key: { type: 'string', minLength: 1, maxLength: 1024 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { proof: { ...FLAG, description: 'add a state proof of the value or of its absence' } },
        },
        response: { 200: RESPONSE, ...errors(404, 503, 504) },
      },
    },
    async (req) => {
      const { key } = req.params
      const proof = req.query.proof ?? false
      const read = await bounded(ctx, runMethod(ctx.db, 'get', { key, proof }, HTTP_METHOD_CONTEXT), proof ? 'a block seal to anchor the proof' : 'the executor to settle')
      if (!read.found && !proof) throw new HttpError('KEY_NOT_FOUND', 404, `no value at key ${JSON.stringify(key)}`)
      return read
    },
  )
}
