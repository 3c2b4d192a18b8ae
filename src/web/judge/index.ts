// The judge page at `/judge`: drop a fraud proof, a state proof or a receipt and the browser gives
// the verdict itself (docs/judge-page.md). The page is built on its first request (about two
// seconds) and kept; the same HTML is what `glassbox judge --page OUT.html` writes.

import type { FastifyInstance } from 'fastify'
import { judgePageHtml } from './build.js'
import { JUDGE_CSP } from './page.js'

export const JUDGE_ROUTE = '/judge'

export async function judgePage(app: FastifyInstance): Promise<void> {
  app.get(JUDGE_ROUTE, { schema: { hide: true } }, async (_req, reply) => {
    const { html } = await judgePageHtml()
    return reply.type('text/html; charset=utf-8').header('content-security-policy', JUDGE_CSP).send(html)
  })
}

export { judgePageHtml, type JudgePageBuild } from './build.js'
