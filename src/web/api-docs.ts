// GET /docs: Swagger UI for the OpenAPI document, served from the installed package's own files so
// it works offline (no CDN, and no online validator: validatorUrl stays null).

import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

export const API_DOCS_PREFIX = '/docs'

export async function apiDocsPage(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: API_DOCS_PREFIX,
    uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null },
    theme: { title: 'Glassbox HTTP API' },
  })
}
