// The HTTP API of an open database (docs/http.md): JSON over HTTP for the operations the CLI
// performs, the monitor's findings, Prometheus metrics and an OpenAPI document. The process that
// holds the database (`glassbox serve`) starts it; reads are open to anyone who can reach it,
// writes need the bearer token.

import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import type { Database } from '../../database.js'
import { UsageError } from '../../errors.js'
import type { Monitor } from '../../verify/monitor.js'
import { bearerAuth } from './auth.js'
import type { Route, RouteContext } from './context.js'
import type { ClaimsLog } from '../../claims/claims-log.js'
import { errorReply, HttpError } from './errors.js'
import { createMetrics } from './metrics.js'
import { breachesRoute } from './routes/breaches.js'
import { callRoute } from './routes/call.js'
import { previewRoute } from './routes/preview.js'
import { addCheckpointRoute } from './routes/add-checkpoint.js'
import { checkpointRoute } from './routes/checkpoint.js'
import { stateCheckpointsRoute } from './routes/state-checkpoints.js'
import { attestationRoute } from './routes/attestation.js'
import { queriesRoute } from './routes/queries.js'
import { executionProofRoute } from './routes/execution-proof.js'
import { disputesRoute } from './routes/disputes.js'
import { claimsRoute } from './routes/claims.js'
import { eventsRoute } from './routes/events.js'
import { fraudProofRoute } from './routes/fraud-proof.js'
import { fraudProofsRoute } from './routes/fraud-proofs.js'
import { healthzRoute } from './routes/healthz.js'
import { historyRoute } from './routes/history.js'
import { infoRoute } from './routes/info.js'
import { metricsRoute } from './routes/metrics.js'
import { openapiRoute } from './routes/openapi.js'
import { receiptsRoute } from './routes/receipts.js'
import { stateGetRoute } from './routes/state-get.js'
import { stateListRoute } from './routes/state-list.js'
import { verificationRoute } from './routes/verification.js'
import { VerificationStatus } from './verification-status.js'
import { registerWebPages } from '../../web/index.js'

export interface HttpApiOptions {
  /** An open database (the serve process holds it; it may or may not run the executor). */
  db: Database
  /** A monitor following this database in-process (start it with fraudProof: true to serve proofs); null for none. */
  monitor?: Monitor | null
  /** 0 = any free port. */
  port: number
  /** Default '127.0.0.1'. */
  host?: string
  /** Bearer token required for calls that emit ops; null disables writes (403 WRITES_DISABLED). */
  token: string | null
  /** Largest request body in bytes (default 64 KiB). */
  bodyLimit?: number
  /** Requests per client IP per window (default 600 per minute). /healthz and /metrics are exempt. */
  rateLimit?: { max: number; windowMs: number }
  /** Longest a request waits on the executor, e.g. for a call's ops to be processed (default 30 s; then 504 TIMEOUT). */
  waitTimeoutMs?: number
  /** Take the client IP (for the rate limit) from X-Forwarded-For: only behind a proxy you run. */
  trustProxy?: boolean
  /** Told about unexpected errors (answered as 500 INTERNAL without details) and errors the monitor reports. */
  onError?(err: Error): void
  /** The claims log of a monitor that claims (served at /v1/claims); null or absent for none. */
  claims?: ClaimsLog | null
}

export interface HttpApi {
  url: string
  port: number
  close(): Promise<void>
}

export const HTTP_DEFAULTS = {
  host: '127.0.0.1',
  bodyLimit: 64 * 1024,
  rateLimit: { max: 600, windowMs: 60_000 },
  waitTimeoutMs: 30_000,
} as const

/** Longest URL path segment, as sent (URL-encoded): a state key is at most 1024 bytes, ×3 when encoded. */
const MAX_PARAM_LENGTH = 3 * 1024 + 64

const ROUTES: Route[] = [
  infoRoute,
  callRoute,
  previewRoute,
  queriesRoute,
  stateGetRoute,
  stateListRoute,
  receiptsRoute,
  historyRoute,
  verificationRoute,
  checkpointRoute,
  stateCheckpointsRoute,
  attestationRoute,
  claimsRoute,
  addCheckpointRoute,
  executionProofRoute,
  disputesRoute,
  breachesRoute,
  fraudProofsRoute,
  fraudProofRoute,
  eventsRoute,
  metricsRoute,
  openapiRoute,
  healthzRoute,
]

export async function startHttpApi(opts: HttpApiOptions): Promise<HttpApi> {
  const { db } = opts
  const host = opts.host ?? HTTP_DEFAULTS.host
  const bodyLimit = positive('bodyLimit', opts.bodyLimit ?? HTTP_DEFAULTS.bodyLimit)
  const limit = opts.rateLimit ?? HTTP_DEFAULTS.rateLimit
  positive('rateLimit.max', limit.max)
  positive('rateLimit.windowMs', limit.windowMs)
  const waitTimeoutMs = positive('waitTimeoutMs', opts.waitTimeoutMs ?? HTTP_DEFAULTS.waitTimeoutMs)
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new UsageError('USAGE', `port must be a whole number from 0 to 65535, not ${opts.port}`)
  const auth = bearerAuth(opts.token)

  const report = (err: Error) => opts.onError?.(err)
  const closing = new AbortController()
  // The status feeds the metrics (verified length) and the metrics count its breaches: the status
  // reports asynchronously, so the metrics exist by the time it calls back.
  let onBreach = () => {}
  const status = opts.monitor ? new VerificationStatus(opts.monitor, { onBreach: () => onBreach(), onError: report }) : null
  const metrics = createMetrics(db, status)
  onBreach = () => metrics.breach()
  const ctx: RouteContext = { db, status, metrics, auth, waitTimeoutMs, closing: closing.signal, claims: opts.claims ?? null }

  const app = Fastify({
    logger: false,
    bodyLimit,
    trustProxy: opts.trustProxy ?? false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Reject unknown fields instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false } },
    // Errors the router raises before any route runs (bad percent-encoding, a too long key) get the same JSON shape.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = errorReply(err)
      void (reply as FastifyReply).code(status).send(body)
    },
    // fastify's own 503 while closing has another shape: the onRequest hook below answers instead.
    return503OnClosing: false,
  })
  try {
    await configure(app, ctx, limit, report)
    await app.listen({ port: opts.port, host })
  } catch (err) {
    await app.close().catch(() => {})
    status?.close()
    metrics.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  let closed: Promise<void> | null = null
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closed ??= (async () => {
        // Requests waiting on the executor answer 503 now rather than hold the close for up to waitTimeoutMs.
        closing.abort()
        await app.close()
        status?.close()
        metrics.close()
      })()
      return closed
    },
  }
}

async function configure(app: FastifyInstance, ctx: RouteContext, limit: { max: number; windowMs: number }, report: (err: Error) => void): Promise<void> {
  // JSON in, JSON out: a text/plain body is refused (415) rather than parsed as a string.
  app.removeContentTypeParser('text/plain')
  // Response schemas document; they must not filter or coerce what goes out (proofs carry more than they describe).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const { status, body, internal } = errorReply(err)
    if (internal) report(err)
    // A client told to retry later is told when (the rate limiter sets Retry-After itself).
    return reply.code(status).type('application/json; charset=utf-8').send(body)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Glassbox HTTP API',
        version: '1.0.0',
        description: 'An execution-transparency database: call its contract, read its state with proofs, follow its verification. See docs/http.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  })
  await app.register(rateLimit, {
    max: limit.max,
    timeWindow: limit.windowMs,
    errorResponseBuilder: (_req, c) =>
      new HttpError('RATE_LIMITED', 429, `more than ${c.max} requests from this client in ${limit.windowMs} ms; retry in ${c.after}`),
  })

  app.addHook('onRequest', async () => {
    if (ctx.closing.aborted) throw new HttpError('SHUTTING_DOWN', 503, 'the server is closing')
  })
  // A confidential database (docs/protocol.md §17) answers only what holds no contents to anyone;
  // the rest (state, history, receipts, proofs, breaches, disputes) to the token's holder. Its state
  // checkpoints are served sealed (§17.8).
  if (ctx.db.confidential) {
    app.addHook('onRequest', async (req) => {
      const url = req.routeOptions.url ?? ''
      if (url === '/' || CONFIDENTIAL_PUBLIC.some((p) => url === p || url.startsWith(`${p}/`)) || ctx.auth.check(req.headers.authorization)) return
      throw new HttpError('CONFIDENTIAL', 403, `this database is confidential: ${req.method} ${url} is answered only to the holder of the API token; ask through an authorized query (POST /v1/queries)`)
    })
  }
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
  })
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (req) => {
    throw new HttpError('NOT_FOUND', 404, `no route ${req.method} ${req.url.split('?')[0]} (see /openapi.json)`)
  })

  for (const route of ROUTES) route(app, ctx)
  // The explorer at /, Swagger UI at /docs: pages over the routes above (src/web/).
  await registerWebPages(app)
}

/** Routes a confidential database answers to anyone: none of them reveals an entry, an op or a value. */
const CONFIDENTIAL_PUBLIC = ['/healthz', '/metrics', '/openapi.json', '/docs', '/checkpoint', '/v1/info', '/v1/verification', '/v1/attestation', '/v1/queries', '/v1/claims', '/v1/state-checkpoints']

function positive(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError('USAGE', `${name} must be a whole number >= 1, not ${n}`)
  return n
}
