// Prometheus metrics of one HTTP API, in a registry of its own: several servers can run in one
// process (tests do) and must not count into each other's metrics or collide on names.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Database } from '../../database.js'
import type { BlockEvent } from '../../executor/executor.js'
import type { VerificationStatus } from './verification-status.js'

export interface HttpMetrics {
  readonly registry: Registry
  /** Records one answered request; `route` is the route's pattern, never the raw URL (bounded labels). */
  observeRequest(method: string, route: string, status: number, seconds: number): void
  /** Counts a breach the monitor reported. */
  breach(): void
  close(): void
}

export function createMetrics(db: Database, status: VerificationStatus | null): HttpMetrics {
  const registry = new Registry()
  const labelNames = ['method', 'route', 'status'] as const
  const requests = new Counter({ name: 'glassbox_http_requests_total', help: 'HTTP requests answered, by route and status', labelNames, registers: [registry] })
  const duration = new Histogram({
    name: 'glassbox_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route and status',
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  new Gauge({
    name: 'glassbox_index_length',
    help: 'Entries in the index log (as folded by this process)',
    registers: [registry],
    collect() {
      this.set(db.length)
    },
  })
  new Gauge({
    name: 'glassbox_state_map_bytes',
    help: 'Memory the authenticated state map takes (approximate; values in the state store are not counted)',
    registers: [registry],
    collect() {
      this.set(db.stateMapBytes)
    },
  })
  if (status) {
    new Gauge({
      name: 'glassbox_verified_length',
      help: 'Index entries the in-process monitor has verified',
      registers: [registry],
      collect() {
        this.set(status.snapshot(db.length).verifiedLength)
      },
    })
  }
  const breaches = new Counter({ name: 'glassbox_breaches_total', help: 'Breach notices the in-process monitor reported', registers: [registry] })
  const ops = new Counter({
    name: 'glassbox_ops_processed_total',
    help: 'Ops the local executor processed since this server started, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  // Both series exist from the start, so a rate() over them works before the first failure.
  ops.inc({ outcome: 'success' }, 0)
  ops.inc({ outcome: 'failure' }, 0)
  const onBlock = (block: BlockEvent) => {
    let ok = 0
    for (const e of block.entries) if (e.ack.success) ok++
    if (ok > 0) ops.inc({ outcome: 'success' }, ok)
    if (block.entries.length > ok) ops.inc({ outcome: 'failure' }, block.entries.length - ok)
  }
  db.on('block', onBlock)
  // Process metrics (CPU, memory, event loop lag, GC) are collected when scraped, so they cost nothing between scrapes.
  collectDefaultMetrics({ register: registry })

  return {
    registry,
    observeRequest(method, route, code, seconds) {
      const labels = { method, route, status: String(code) }
      requests.inc(labels)
      duration.observe(labels, seconds)
    },
    breach() {
      breaches.inc()
    },
    close() {
      db.off('block', onBlock)
      registry.clear()
    },
  }
}
