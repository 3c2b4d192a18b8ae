// GET /checkpoint: the latest seal as a C2SP signed note (text/plain), where transparency-log
// tooling looks for a log's checkpoint. GET /v1/checkpoint: the same with its facts as JSON, and
// on request an RFC 9162 inclusion or consistency proof over the accumulator (docs/protocol.md §8.4).

import { runMethod } from '../../methods.js'
import { bounded, HTTP_METHOD_CONTEXT, type Route } from '../context.js'
import { errors, HEX64 } from '../schemas.js'

const BASE64_HASH = { type: 'string', description: '32 bytes, standard base64' } as const
const COUNT = { type: 'integer', minimum: 0 } as const

const CHECKPOINT = {
  type: 'object',
  required: ['origin', 'size', 'root', 'stateRoot', 'treeHash', 'positions', 'note', 'verifierKey'],
  properties: {
    origin: { type: 'string', description: '`glassbox/` and the database key' },
    size: { type: 'integer', description: 'entries covered; the seal sits at this position' },
    root: BASE64_HASH,
    stateRoot: HEX64,
    treeHash: HEX64,
    positions: { ...HEX64, description: 'the hash of where every oplog stands (docs/protocol.md §8.2)' },
    note: { type: 'string', description: 'the C2SP signed note' },
    verifierKey: { type: 'string', description: 'the index key as a C2SP verifier key' },
  },
} as const

const PROOF = {
  type: 'object',
  required: ['kind', 'from', 'size', 'hashes'],
  properties: {
    kind: { type: 'string', enum: ['inclusion', 'consistency'] },
    from: { type: 'integer', description: "inclusion: the entry's index; consistency: the first tree's size" },
    size: { type: 'integer' },
    leafHash: BASE64_HASH,
    hashes: { type: 'array', items: BASE64_HASH },
  },
} as const

export const checkpointRoute: Route = (app, ctx) => {
  app.get(
    '/checkpoint',
    {
      schema: {
        summary: 'Latest checkpoint (signed note)',
        description: 'The latest seal as a C2SP tlog-checkpoint in a C2SP signed note, as text/plain.',
        tags: ['verification'],
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, ...errors(503, 504) },
      },
    },
    async (_req, reply) => {
      const { checkpoint } = await bounded(ctx, runMethod(ctx.db, 'checkpoint', {}, HTTP_METHOD_CONTEXT), 'a block seal')
      return reply.type('text/plain; charset=utf-8').send(checkpoint.note)
    },
  )
  app.get<{ Querystring: { inclusion?: number; consistency?: number; size?: number } }>(
    '/v1/checkpoint',
    {
      schema: {
        summary: 'Latest checkpoint, with an accumulator proof',
        tags: ['verification'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            inclusion: { ...COUNT, description: "prove this entry's inclusion (RFC 9162 §2.1.3)" },
            consistency: { ...COUNT, description: 'prove the tree of this many entries is a prefix (RFC 9162 §2.1.4)' },
            size: { ...COUNT, description: "the tree size to prove against (default: the checkpoint's)" },
          },
        },
        response: { 200: { type: 'object', required: ['checkpoint'], properties: { checkpoint: CHECKPOINT, proof: PROOF } }, ...errors(400, 503, 504) },
      },
    },
    async (req) => bounded(ctx, runMethod(ctx.db, 'checkpoint', req.query, HTTP_METHOD_CONTEXT), 'a block seal'),
  )
}
