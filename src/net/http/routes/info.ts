// GET /v1/info: what the database is (key, contract, logs, state root), as `glassbox info` shows it.

import { runMethod } from '../../methods.js'
import { bounded, HTTP_METHOD_CONTEXT, type Route } from '../context.js'
import { errors, HEX64 } from '../schemas.js'

const INFO = {
  type: 'object',
  properties: {
    key: HEX64,
    signer: { ...HEX64, description: "the executor's key: the index log's signer, from which the database key is derived" },
    protocol: { type: 'string' },
    runtime: { type: 'string' },
    length: { type: 'integer', description: 'index log entries' },
    executor: { type: 'boolean', description: 'whether this process runs the executor' },
    inputs: { type: 'array', items: HEX64 },
    oplogs: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, pubkey: HEX64, length: { type: 'integer' }, input: { type: 'boolean' } } },
    },
    contract: {
      type: 'object',
      properties: {
        bytes: { type: 'integer' },
        methods: { type: 'array', items: { type: 'string' } },
        notStatic: { type: 'string', nullable: true, description: "why the contract's module is evaluated for every op; null when it is static (evaluated once, its top level frozen: docs/protocol.md §6.2)" },
        compiledFromCache: { type: 'boolean', description: "the executor read the contract's compiled form from its directory's compile cache instead of compiling it" },
      },
    },
    keys: { type: 'integer' },
    stateRoot: HEX64,
    sandbox: {
      type: 'object',
      nullable: true,
      description: 'set when the database is a sandbox (`glassbox sandbox`): a fork, with its own keys, of the database `forkOf`',
      properties: { format: { type: 'string' }, forkOf: HEX64, originalDir: { type: 'string' }, replayedLength: { type: 'integer' }, contract: { type: 'string' }, created: { type: 'string' } },
    },
  },
} as const

export const infoRoute: Route = (app, ctx) => {
  app.get(
    '/v1/info',
    { schema: { summary: 'Database info', tags: ['database'], response: { 200: INFO, ...errors(504) } } },
    async () => {
      // Waits for the executor to finish what it holds, like the CLI: the info reflects every op seen.
      const { server: _server, ...info } = await bounded(ctx, runMethod(ctx.db, 'info', {}, HTTP_METHOD_CONTEXT), 'the executor to settle')
      return info
    },
  )
}
