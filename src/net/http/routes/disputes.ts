// /v1/disputes: this server as a party to disputes (docs/protocol.md §13), its moves signed with the
// directory's monitor key. As defender it stands by the roots its executor signed; as challenger (a
// referee such as a light client asks it to open) it re-executes the range and disputes a root the
// contract does not give. Open to anyone, like the proofs: a dispute costs the server a replay of the
// range at most, and it holds a bounded number at once.

import type { DisputeParty } from '../../../dispute/party.js'
import type { Route } from '../context.js'
import { bounded } from '../context.js'
import { errors, HEX64 } from '../schemas.js'

const OPAQUE = { type: 'object', additionalProperties: true } as const
const ID = { type: 'object', required: ['id'], properties: { id: HEX64 } } as const
const COUNT = { type: 'integer', minimum: 0 } as const

export const disputesRoute: Route = (app, ctx) => {
  const party = (): Promise<DisputeParty> => ctx.db.disputeParty()
  app.get(
    '/v1/disputes',
    {
      schema: {
        summary: "This server's key as a party to disputes",
        description: 'The Ed25519 key its dispute messages are signed with (name it as `defender` in an open), and the database it defends.',
        tags: ['verification'],
        response: { 200: { type: 'object', required: ['key', 'database', 'roles'], properties: { key: HEX64, database: HEX64, roles: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async () => ({ key: (await party()).key, database: ctx.db.key, roles: ['defender', 'challenger'] }),
  )
  app.post<{ Body: Record<string, unknown> }>(
    '/v1/disputes',
    {
      schema: {
        summary: 'Open a dispute against this server',
        description: "A challenger's signed open (docs/protocol.md §13.2). The answer is the server's signed accept, or 409 NOT_MY_ROOT when its executor did not sign the disputed root.",
        tags: ['verification'],
        body: OPAQUE,
        response: { 200: OPAQUE, ...errors(409, 503, 504) },
      },
    },
    async (req) => bounded(ctx, (await party()).accept(req.body as never), 'the accept'),
  )
  app.post<{ Body: { defender: string; toRoot: string; from?: number; to?: number; deadline?: number } }>(
    '/v1/disputes/challenges',
    {
      schema: {
        summary: 'Have this server challenge a root',
        description:
          "The server replays the range itself and, if the contract does not give `toRoot` at `to` (default: its last seal), signs an open against `defender` as challenger; a referee then plays the game between the two. 409 NO_DISPUTE when its replay reaches that very root.",
        tags: ['verification'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['defender', 'toRoot'],
          properties: { defender: HEX64, toRoot: HEX64, from: COUNT, to: COUNT, deadline: { type: 'integer', minimum: 1 } },
        },
        response: { 200: OPAQUE, ...errors(409, 503, 504) },
      },
    },
    async (req) => bounded(ctx, ctx.db.openDispute(req.body), 'the open'),
  )
  const move = <B>(path: string, summary: string, body: Record<string, unknown>, required: string[], act: (p: DisputeParty, id: string, b: B) => Promise<unknown>) =>
    app.post<{ Params: { id: string }; Body: B }>(
      `/v1/disputes/:id/${path}`,
      {
        schema: {
          summary,
          tags: ['verification'],
          params: ID,
          body: { type: 'object', additionalProperties: false, required, properties: body },
          response: { 200: { ...OPAQUE, nullable: true }, ...errors(404, 409, 422, 503, 504) },
        },
      },
      async (req) => bounded(ctx, act(await party(), req.params.id, req.body as B), `the ${path}`),
    )
  move<{ previous: string; round: number; length: number }>('root', "The server's root at a length", { previous: HEX64, round: COUNT, length: COUNT }, ['previous', 'round', 'length'], (p, dispute, b) => p.root({ dispute, ...b }))
  move<{ previous: string; round: number; length: number; root: string }>('answer', 'Whether the server agrees with a root', { previous: HEX64, round: COUNT, length: COUNT, root: HEX64 }, ['previous', 'round', 'length', 'root'], (p, dispute, b) => p.answer({ dispute, ...b }))
  move<{ previous: string; lo: number; hi: number }>('settle', "The server's settlement of a one-entry range", { previous: HEX64, lo: COUNT, hi: COUNT }, ['previous', 'lo', 'hi'], (p, dispute, b) => p.settle({ dispute, ...b }))
  move<{ lo: number; loRoot: string }>('step', 'The step for entry lo, from the server\'s state (null when it has none at that root)', { lo: COUNT, loRoot: HEX64 }, ['lo', 'loRoot'], (p, dispute, b) => p.step({ dispute, ...b }))
  move<Record<string, never>>('close', 'Forget a dispute that is over', {}, [], async (p, dispute) => (p.close(dispute), { closed: dispute }))
}
