// GET /healthz: the process answers. Says nothing of the executor or the monitor (see /v1/info, /v1/verification).

import type { Route } from '../context.js'

export const healthzRoute: Route = (app) => {
  app.get(
    '/healthz',
    {
      // Health checks must keep answering when a client hits the rate limit.
      config: { rateLimit: false },
      schema: {
        summary: 'Liveness',
        tags: ['operations'],
        response: { 200: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean', enum: [true] } } } },
      },
    },
    async () => ({ ok: true }),
  )
}
