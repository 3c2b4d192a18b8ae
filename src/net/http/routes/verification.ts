// GET /v1/verification: what the in-process monitor has verified, and whether it found a breach.

import { requireStatus, type Route } from '../context.js'
import { BREACH_NOTICE, errors } from '../schemas.js'

const RESPONSE = {
  type: 'object',
  required: ['following', 'valid', 'verifiedLength', 'indexLength', 'breach', 'notices', 'error', 'updatedAt'],
  properties: {
    following: { type: 'boolean', description: 'the monitor keeps verifying new entries (false after a breach)' },
    valid: { type: ['boolean', 'null'], description: 'null until the monitor has reported once' },
    verifiedLength: { type: 'integer', description: 'index entries verified' },
    indexLength: { type: 'integer', description: 'index entries this database holds now' },
    breach: { ...BREACH_NOTICE, type: ['object', 'null'] },
    notices: {
      type: 'array',
      description: 'liveness notices in force: seal-overdue when entries stay unsealed past the timeout (never a breach; valid is unchanged)',
      items: {
        type: 'object',
        required: ['kind', 'from', 'length', 'since', 'waitedMs', 'message'],
        properties: {
          kind: { type: 'string', enum: ['seal-overdue'] },
          from: { type: 'integer', description: 'the first index entry no seal covers' },
          length: { type: 'integer', description: 'the index length when the notice was made' },
          since: { type: 'string', format: 'date-time', description: 'when the monitor first saw those entries unsealed' },
          waitedMs: { type: 'integer' },
          message: { type: 'string' },
        },
      },
    },
    error: {
      type: ['object', 'null'],
      description: 'the last error the monitor reported (it keeps following after one)',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

export const verificationRoute: Route = (app, ctx) => {
  app.get(
    '/v1/verification',
    { schema: { summary: 'Verification status', tags: ['verification'], response: { 200: RESPONSE, ...errors(503) } } },
    async () => requireStatus(ctx).snapshot(ctx.db.length),
  )
}
