// GET /v1/claims: the signed claims of this server's monitor (docs/protocol.md §11), for light clients.

import { HttpError } from '../errors.js'
import type { Route } from '../context.js'
import { errors, HEX64 } from '../schemas.js'

const HEX128 = { type: 'string', pattern: '^[0-9a-f]{128}$' } as const
const CLAIM = {
  type: 'object',
  required: ['database', 'length', 'previousLength', 'previousStateRoot', 'entriesRoot', 'stateRoot', 'treeHash', 'positions', 'signer', 'sealSignature', 'time', 'monitor', 'cosignature', 'signature'],
  properties: {
    database: HEX64,
    length: { type: 'integer' },
    previousLength: { type: 'integer' },
    previousStateRoot: HEX64,
    entriesRoot: HEX64,
    stateRoot: HEX64,
    treeHash: HEX64,
    positions: HEX64,
    signer: HEX64,
    sealSignature: HEX128,
    time: { type: 'integer', description: 'POSIX seconds' },
    monitor: HEX64,
    cosignature: HEX128,
    signature: HEX128,
  },
} as const

export const claimsRoute: Route = (app, ctx) => {
  app.get<{ Querystring: { start?: number } }>(
    '/v1/claims',
    {
      schema: {
        summary: "The monitor's signed claims",
        tags: ['verification'],
        querystring: { type: 'object', additionalProperties: false, properties: { start: { type: 'integer', minimum: 0 } } },
        response: {
          200: { type: 'object', required: ['monitor', 'length', 'claims'], properties: { monitor: HEX64, length: { type: 'integer' }, claims: { type: 'array', items: CLAIM } } },
          ...errors(503),
        },
      },
    },
    async (req) => {
      const log = ctx.claims
      if (!log) throw new HttpError('NO_CLAIMS', 503, "this server's monitor makes no claims (serve with --claim)")
      const length = log.length
      return { monitor: log.monitor, length, claims: await log.list(req.query.start ?? 0, length) }
    },
  )
}
