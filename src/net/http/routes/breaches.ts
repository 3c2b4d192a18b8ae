// GET /v1/breaches: the breach notices the monitor reported (it stops at the first, so 0 or 1).

import { requireStatus, type Route } from '../context.js'
import { BREACH_NOTICE, errors } from '../schemas.js'

export const breachesRoute: Route = (app, ctx) => {
  app.get(
    '/v1/breaches',
    {
      schema: {
        summary: 'Breach notices',
        tags: ['verification'],
        response: { 200: { type: 'object', required: ['breaches'], properties: { breaches: { type: 'array', items: BREACH_NOTICE } } }, ...errors(503) },
      },
    },
    async () => ({ breaches: requireStatus(ctx).breaches() }),
  )
}
