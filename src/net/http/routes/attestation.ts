// GET /v1/attestation: the executor attestation the database's directory publishes (`glassbox
// attest`, docs/protocol.md §15), as it is on disk. A client checks it against the database and with
// a verifier of its kind, so the server is trusted with nothing.

import { readAttestation } from '../../../attest/attestation-file.js'
import type { Route } from '../context.js'
import { HttpError } from '../errors.js'
import { errors } from '../schemas.js'

export const attestationRoute: Route = (app, ctx) => {
  app.get(
    '/v1/attestation',
    {
      schema: {
        summary: "The executor's attestation",
        description: "A glassbox-attestation/1 document binding the database, the executor's key and its runtime, with evidence of its kind (a software-test kind is not a TEE).",
        tags: ['verification'],
        response: { 200: { type: 'object', additionalProperties: true }, ...errors(404) },
      },
    },
    async () => {
      const a = await readAttestation(ctx.db.dir)
      if (a === null) throw new HttpError('NOT_FOUND', 404, 'this database publishes no attestation (see `glassbox attest`)')
      return a
    },
  )
}
