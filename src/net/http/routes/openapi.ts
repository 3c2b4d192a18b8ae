// GET /openapi.json: the OpenAPI 3 document @fastify/swagger builds from the routes' schemas.

import type { Route } from '../context.js'

export const openapiRoute: Route = (app) => {
  app.get(
    '/openapi.json',
    { schema: { summary: 'This API as an OpenAPI 3 document', tags: ['operations'], response: { 200: { type: 'object' } } } },
    async () => app.swagger(),
  )
}
