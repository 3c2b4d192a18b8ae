// The web pages the HTTP API serves beside its JSON routes (docs/http.md, "Pages"). Each page is a
// folder here with an index.ts exporting one WebPage; the server registers every page listed below.

import type { FastifyInstance } from 'fastify'
import { apiDocsPage } from './api-docs.js'
import { explorerPage } from './explorer/index.js'
import { judgePage } from './judge/index.js'

/** Registers a page's routes on the API's server (after @fastify/swagger, before it listens). */
export type WebPage = (app: FastifyInstance) => Promise<void>

export const WEB_PAGES: WebPage[] = [explorerPage, judgePage, apiDocsPage]

export async function registerWebPages(app: FastifyInstance): Promise<void> {
  for (const page of WEB_PAGES) await page(app)
}
