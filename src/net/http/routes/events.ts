// GET /v1/events: Server-Sent Events that say when to read again, so a page (the explorer) stays
// live without polling. The events carry only what changed in a few bytes; the data itself is read
// from the other routes, which wait for the executor as usual.

import type { Route } from '../context.js'

/** A comment line every so often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000

const DESCRIPTION = [
  'A `text/event-stream` that stays open. Events:',
  '`index` `{"length": n}` when the index log grew (a block the executor appended, or entries synced from peers);',
  '`verification` with the body of `GET /v1/verification` when the monitor verified more or found a breach (only on a server with a monitor).',
  'Both are sent once on connect. Read what changed from `/v1/history`, `/v1/state` and `/v1/breaches`.',
].join(' ')

export const eventsRoute: Route = (app, ctx) => {
  app.get(
    '/v1/events',
    {
      schema: {
        summary: 'Live updates (Server-Sent Events)',
        description: DESCRIPTION,
        tags: ['database'],
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'an endless text/event-stream' } },
      },
    },
    async (req, reply) => {
      // The stream outlives the handler: fastify hands the socket over and sends nothing itself.
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' })
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)

      let sentLength = -1
      const index = () => {
        const length = ctx.db.length
        if (length === sentLength) return
        sentLength = length
        send('index', { length })
      }
      let sentStatus = ''
      const verification = () => {
        if (!ctx.status) return
        const { updatedAt: _at, ...snapshot } = ctx.status.snapshot(ctx.db.length)
        const body = JSON.stringify(snapshot)
        if (body === sentStatus) return
        sentStatus = body
        send('verification', snapshot)
      }

      ctx.db.on('block', index)
      ctx.db.on('synced', index)
      const unwatch = ctx.status?.watch(verification)
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS)
      keepalive.unref()
      let stopped = false
      const stop = () => {
        if (stopped) return
        stopped = true
        clearInterval(keepalive)
        ctx.db.off('block', index)
        ctx.db.off('synced', index)
        unwatch?.()
        ctx.closing.removeEventListener('abort', stop)
        res.end()
      }
      req.raw.on('close', stop)
      // The server's close waits for open responses: end the stream then, the client reconnects elsewhere.
      ctx.closing.addEventListener('abort', stop)
      index()
      verification()
    },
  )
}
