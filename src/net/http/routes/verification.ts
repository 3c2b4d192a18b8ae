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
      description:
        "liveness notices in force (never a breach; valid is unchanged): seal-overdue when entries stay unsealed past the timeout; op-overdue, participant-starved or executor-silent when an input's op stays unacknowledged past it",
      items: {
        type: 'object',
        required: ['kind', 'since', 'waitedMs', 'message'],
        properties: {
          kind: { type: 'string', enum: ['seal-overdue', 'op-overdue', 'participant-starved', 'executor-silent'] },
          from: { type: 'integer', description: 'seal-overdue: the first index entry no seal covers' },
          length: { type: 'integer', description: 'seal-overdue: the index length when the notice was made' },
          oplog: { type: 'string', description: 'op notices: the oplog whose op waits' },
          seq: { type: 'integer', description: 'op notices: its first op the index has not acknowledged' },
          pending: { type: 'integer', description: 'op notices: its ops published and not acknowledged' },
          since: { type: 'string', format: 'date-time', description: 'when the monitor first saw it' },
          waitedMs: { type: 'integer' },
          evidence: {
            type: 'object',
            additionalProperties: true,
            description: "op notices: the oplog's head when the op was first seen waiting, the index heads then and now, and the ops of other inputs acknowledged meanwhile",
          },
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
