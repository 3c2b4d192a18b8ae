// GET /v1/fraud-proofs/:n: one fraud proof file as it is, ready for `glassbox judge`.

import { bounded, requireStatus, type Route } from '../context.js'
import { HttpError } from '../errors.js'
import { errors, FRAUD_PROOF_FILE } from '../schemas.js'

export const fraudProofRoute: Route = (app, ctx) => {
  app.get<{ Params: { n: number } }>(
    '/v1/fraud-proofs/:n',
    {
      schema: {
        summary: 'One fraud proof file',
        tags: ['verification'],
        params: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 0 } } },
        response: { 200: FRAUD_PROOF_FILE, ...errors(404, 503, 504) },
      },
    },
    async (req) => {
      const { n } = req.params
      const records = await bounded(ctx, requireStatus(ctx).fraudProofs(), 'the monitor to build the fraud proof')
      const found = records.find((r) => r.n === n)
      if (!found) throw new HttpError('FRAUD_PROOF_NOT_FOUND', 404, `no breach #${n} (the monitor found ${records.length})`)
      if (!found.proof) throw new HttpError('FRAUD_PROOF_UNAVAILABLE', 404, `breach #${n} (${found.class} at index #${found.seq}) has no fraud proof: ${found.reason}`)
      return found.proof
    },
  )
}
