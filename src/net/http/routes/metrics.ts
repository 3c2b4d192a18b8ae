// GET /metrics: Prometheus text exposition of this server's registry.

import type { Route } from '../context.js'

export const metricsRoute: Route = (app, ctx) => {
  app.get(
    '/metrics',
    {
      // Scrapers poll from one address; they must not use up the clients' budget or be refused.
      config: { rateLimit: false },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' } },
      },
    },
    async (_req, reply) => {
      const { registry } = ctx.metrics
      reply.type(registry.contentType)
      return registry.metrics()
    },
  )
}
