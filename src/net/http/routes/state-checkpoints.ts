// GET /v1/state-checkpoints, /v1/state-checkpoints/:length and .../chunks/:i: the state
// checkpoints kept in the database's directory (docs/protocol.md §12), served as they are on disk.
// A client checks them against the seal they name, so the server is trusted with nothing. A
// confidential database's are served to anyone, and only sealed (docs/protocol.md §17.8).

import { listStateCheckpoints, readServed } from '../../../state/checkpoint/checkpoint-files.js'
import { CheckpointError } from '../../../errors.js'
import type { Route } from '../context.js'
import { HttpError } from '../errors.js'
import { errors } from '../schemas.js'

const LENGTH = { type: 'integer', minimum: 0 } as const
const OPAQUE = { type: 'object', additionalProperties: true } as const

export const stateCheckpointsRoute: Route = (app, ctx) => {
  const served = (length: number, chunk: number | undefined) =>
    readServed(ctx.db.dir, length, chunk, ctx.db.confidential !== null).catch((err: unknown) => {
      if (err instanceof CheckpointError) throw new HttpError('CONFIDENTIAL', 403, err.message)
      throw err
    })
  app.get(
    '/v1/state-checkpoints',
    {
      schema: {
        summary: 'State checkpoints kept here',
        description: 'The index lengths at which this server keeps a state checkpoint (taken with `glassbox checkpoint --state`), lowest first.',
        tags: ['verification'],
        response: { 200: { type: 'object', required: ['checkpoints'], properties: { checkpoints: { type: 'array', items: LENGTH } } } },
      },
    },
    async () => ({ checkpoints: await listStateCheckpoints(ctx.db.dir) }),
  )
  app.get<{ Params: { length: number } }>(
    '/v1/state-checkpoints/:length',
    {
      schema: {
        summary: "A state checkpoint's manifest",
        description: 'Its seal, oplog positions and chunk count (docs/protocol.md §12.1).',
        tags: ['verification'],
        params: { type: 'object', required: ['length'], properties: { length: LENGTH } },
        response: { 200: { ...OPAQUE, description: 'a glassbox-state/1 manifest, or a glassbox-sealed-state/1 one (a confidential database)' }, ...errors(403, 404) },
      },
    },
    async (req) => {
      const manifest = await served(req.params.length, undefined)
      if (!manifest) throw new HttpError('NOT_FOUND', 404, `no state checkpoint at length ${req.params.length} is kept here`)
      return manifest
    },
  )
  app.get<{ Params: { length: number; i: number } }>(
    '/v1/state-checkpoints/:length/chunks/:i',
    {
      schema: {
        summary: 'One chunk of a state checkpoint',
        description: "Its entries as a range proof at the seal's state root (docs/protocol.md §12.1).",
        tags: ['verification'],
        params: { type: 'object', required: ['length', 'i'], properties: { length: LENGTH, i: LENGTH } },
        response: { 200: { ...OPAQUE, description: 'a chunk: {index, proof}, or {index, sealed} (a confidential database)' }, ...errors(403, 404) },
      },
    },
    async (req) => {
      const chunk = await served(req.params.length, req.params.i)
      if (!chunk) throw new HttpError('NOT_FOUND', 404, `no chunk ${req.params.i} of a state checkpoint at length ${req.params.length} is kept here`)
      return chunk
    },
  )
}
