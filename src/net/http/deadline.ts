// Bounds how long a request waits on the database (for the executor to process ops, or to reach
// a block boundary), so that a stalled or busy executor cannot hold connections forever. The work
// itself is not cancelled: published ops stay published and are processed when the executor gets
// to them.

import { HttpError, withOps, type OpId } from './errors.js'

export interface DeadlineOptions {
  ms: number
  /** Aborted when the server closes: waiting requests answer at once instead of holding the close. */
  closing: AbortSignal
  /** What the request waits for, for the message. */
  what: string
  /** Ops published before the wait; named in the error so the client can ask for a receipt later. */
  ops?: OpId[]
}

export async function withDeadline<T>(work: Promise<T>, opts: DeadlineOptions): Promise<T> {
  const ops = opts.ops ?? []
  // The work may still fail after the deadline answered: that failure has nobody to go to.
  work.catch(() => {})
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stop = new Promise<never>((_resolve, reject) => {
    const published = ops.length > 0 ? '; the ops remain published and will be processed (ask POST /v1/receipts for their receipt later)' : ''
    timer = setTimeout(() => reject(new HttpError('TIMEOUT', 504, `gave up waiting ${opts.ms} ms for ${opts.what}${published}`, ops)), opts.ms)
    onAbort = () => reject(new HttpError('SHUTTING_DOWN', 503, `the server is closing; it stopped waiting for ${opts.what}${published}`, ops))
    if (opts.closing.aborted) onAbort()
    else opts.closing.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, stop])
  } catch (err) {
    throw withOps(err, ops)
  } finally {
    clearTimeout(timer)
    if (onAbort) opts.closing.removeEventListener('abort', onAbort)
  }
}
