// What every route gets: the database, the monitor's status, the auth check and the bounds.

import type { FastifyInstance } from 'fastify'
import type { ClaimsLog } from '../../claims/claims-log.js'
import type { Database } from '../../database.js'
import type { MethodContext } from '../methods.js'
import type { BearerAuth } from './auth.js'
import { withDeadline } from './deadline.js'
import { HttpError, type OpId } from './errors.js'
import type { HttpMetrics } from './metrics.js'
import type { VerificationStatus } from './verification-status.js'

export interface RouteContext {
  db: Database
  /** null when the server runs no monitor. */
  status: VerificationStatus | null
  metrics: HttpMetrics
  auth: BearerAuth
  /** How long a request may wait on the executor (ms). */
  waitTimeoutMs: number
  /** Aborted when the server closes. */
  closing: AbortSignal
  /** The monitor's claims log, when it claims (docs/protocol.md §11); else null. */
  claims: ClaimsLog | null
}

/** A route: one file each under routes/, registered by the server. */
export type Route = (app: FastifyInstance, ctx: RouteContext) => void

/** Context for runMethod: HTTP clients are not told about the process behind the API. */
export const HTTP_METHOD_CONTEXT: MethodContext = { server: null }

export function requireStatus(ctx: RouteContext): VerificationStatus {
  if (!ctx.status) throw new HttpError('NO_MONITOR', 503, 'this server runs no monitor, so it has no verification status, breaches or fraud proofs')
  return ctx.status
}

/** Runs `work` under the request deadline (504 TIMEOUT) and the server's close (503 SHUTTING_DOWN). */
export function bounded<T>(ctx: RouteContext, work: Promise<T>, what: string, ops?: OpId[]): Promise<T> {
  return withDeadline(work, { ms: ctx.waitTimeoutMs, closing: ctx.closing, what, ...(ops ? { ops } : {}) })
}
