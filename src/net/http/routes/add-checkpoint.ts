// POST /add-checkpoint: the C2SP tlog-witness call (docs/protocol.md §11.2). A server whose monitor
// claims cosigns the executor's checkpoint once it has replayed the log through it.

import { addCheckpoint } from '../../../claims/witness.js'
import type { Route } from '../context.js'
import { HttpError } from '../errors.js'

export const addCheckpointRoute: Route = (app, ctx) => {
  // A scope of its own: the text body parser must not reach the JSON routes.
  void app.register(async (scope) => {
    scope.addContentTypeParser(['text/plain', 'application/octet-stream'], { parseAs: 'string' }, (_req, body, done) => done(null, body))
    scope.post<{ Body: string }>(
      '/add-checkpoint',
      {
        schema: {
          summary: 'Witness: cosign a checkpoint (C2SP tlog-witness)',
          description:
            'Body: `old <size>`, consistency proof lines (base64), a blank line, the signed checkpoint. Answers the monitor\'s cosignature line once it has replayed the log through the checkpoint; 409 with `text/x.tlog.size` when `old` is not the size it last cosigned.',
          tags: ['verification'],
          consumes: ['text/plain'],
          produces: ['text/plain'],
        },
      },
      async (req, reply) => {
        const log = ctx.claims
        if (!log) throw new HttpError('NO_CLAIMS', 503, "this server's monitor makes no claims (serve with --claim)")
        if (typeof req.body !== 'string') throw new HttpError('BAD_REQUEST', 400, 'send the add-checkpoint body as text/plain')
        const deadline = AbortSignal.any([AbortSignal.timeout(ctx.waitTimeoutMs), ctx.closing])
        const answer = await addCheckpoint(req.body, ctx.db.key, ctx.db.signer, log, (size) => log.waitFor(size, deadline))
        return reply.code(answer.status).type(answer.type).send(answer.body)
      },
    )
  })
}
