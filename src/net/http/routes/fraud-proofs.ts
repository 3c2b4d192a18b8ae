// GET /v1/fraud-proofs: the fraud proof of each breach, or why there is none.

import { bounded, requireStatus, type Route } from '../context.js'
import { errors, FRAUD_PROOF_FILE } from '../schemas.js'

const RECORD = {
  type: 'object',
  required: ['n', 'class', 'seq', 'proof', 'reason'],
  properties: {
    n: { type: 'integer', description: 'fetch the proof alone at /v1/fraud-proofs/{n}' },
    class: { type: 'string' },
    seq: { type: 'integer' },
    proof: { ...FRAUD_PROOF_FILE, type: ['object', 'null'] },
    reason: { type: ['string', 'null'], description: 'why there is no proof' },
  },
} as const

export const fraudProofsRoute: Route = (app, ctx) => {
  app.get(
    '/v1/fraud-proofs',
    {
      schema: {
        summary: 'Fraud proofs of the breaches found',
        tags: ['verification'],
        response: { 200: { type: 'object', required: ['fraudProofs'], properties: { fraudProofs: { type: 'array', items: RECORD } } }, ...errors(503, 504) },
      },
    },
    async () => ({ fraudProofs: await bounded(ctx, requireStatus(ctx).fraudProofs(), 'the monitor to build the fraud proof') }),
  )
}
