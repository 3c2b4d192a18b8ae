// The explorer at `/`: one HTML page, its stylesheet and its script, which reads everything else
// from the JSON API (/v1/…) and follows /v1/events. The script is bundled by esbuild from the
// compiled client/ files when the server starts, so the page needs nothing beyond this server.

import type { FastifyInstance } from 'fastify'
import { explorerScript } from './bundle.js'
import { EXPLORER_CSS, EXPLORER_HTML } from './page.js'

/** The page may load and fetch from this server only; downloads are blob: links it makes itself. */
const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

export const EXPLORER_ROUTES = { page: '/', script: '/explorer/app.js', style: '/explorer/style.css' } as const

export async function explorerPage(app: FastifyInstance): Promise<void> {
  // Bundling starts now; a failure answers the script's requests rather than stopping the API.
  const script = explorerScript()
  script.catch(() => {})
  const hidden = { schema: { hide: true } }
  app.get(EXPLORER_ROUTES.page, hidden, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(EXPLORER_HTML),
  )
  app.get(EXPLORER_ROUTES.style, hidden, async (_req, reply) => reply.type('text/css; charset=utf-8').send(EXPLORER_CSS))
  app.get(EXPLORER_ROUTES.script, hidden, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(await script))
}
