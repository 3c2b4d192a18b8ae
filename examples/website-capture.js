// Website capture (seed 001 §5.3): an oracle publishing snapshots of web pages.
//
// Oracles (participants) capture a URL and `put` the response with the time they captured it.
// The contract accepts a capture only when
//   - its timestamp is at least `interval` ms after the previous capture of that URL, and
//   - its timestamp lies within `agreementWindow` ms of the executor's clock when the executor
//     processed the op (`ack.ts`, recorded in the ack so every replay sees the same time).
// `get(url, timestamp)` rounds the timestamp down to the closest capture at or before it.
// The configuration is set with `config` and is fixed once the first capture exists.
//
// It also shows `process()`: it runs on the executor only, before `apply`, and what it returns is
// recorded in the ack as metadata, so a replay reads it from the log instead of running it again.
// An executor could attach there what only it knows; the sandbox gives it no clock or network, so
// here it only measures the response, and `apply` stores that size with the capture.

import assert from 'assert'
import { index } from 'contract'

const CONFIG = '/config'
const CAPTURES = '/captures/'
// Below the 64 KiB limits on an op and on a value, which also hold the URL and other fields.
const MAX_RESPONSE_CHARS = 32 * 1024

function urlKey(url) {
  return CAPTURES + encodeURIComponent(url)
}

// Fixed width, so that key order is time order.
function tsKey(ts) {
  return String(ts).padStart(16, '0')
}

// API functions.

export async function getConfig() {
  const entry = await index.get(CONFIG)
  return entry ? entry.value : null
}

export function config({ interval, agreementWindow }, emit) {
  emit({ op: 'CONFIG', interval, agreementWindow })
}

/** The latest capture of `url` taken at or before `timestamp` (the latest of all when absent). */
export async function get({ url, timestamp }) {
  const opts = { reverse: true, limit: 1 }
  if (timestamp !== undefined && timestamp !== null) {
    assert(Number.isSafeInteger(timestamp) && timestamp >= 0, `timestamp must be ms since the epoch, got ${JSON.stringify(timestamp)}`)
    opts.lt = `${urlKey(url)}/${tsKey(timestamp + 1)}`
  }
  const [entry] = await index.list(urlKey(url) + '/', opts)
  return entry ? entry.value : null
}

/** Every capture of `url`, oldest first, without the response data. */
export async function list({ url }) {
  const entries = await index.list(urlKey(url) + '/')
  return entries.map((e) => ({ timestamp: e.value.timestamp, chars: e.value.chars, capturedBy: e.value.capturedBy }))
}

export function put({ url, timestamp, responseData }, emit) {
  emit({ op: 'PUT', url, timestamp, responseData })
}

// Executor only: its result becomes ack.metadata.
export function process(op) {
  if (op && op.op === 'PUT' && typeof op.responseData === 'string') return { chars: op.responseData.length }
  return null
}

// apply: the rules.

export const apply = {
  async CONFIG(tx, op) {
    assert(Number.isSafeInteger(op.interval) && op.interval > 0, `interval must be a positive whole number of ms, got ${JSON.stringify(op.interval)}`)
    assert(Number.isSafeInteger(op.agreementWindow) && op.agreementWindow >= 0, `agreementWindow must be a whole number of ms >= 0, got ${JSON.stringify(op.agreementWindow)}`)
    const captures = await index.list(CAPTURES, { limit: 1 })
    assert(captures.length === 0, 'the configuration is fixed once captures exist')
    tx.put(CONFIG, { interval: op.interval, agreementWindow: op.agreementWindow })
  },

  async PUT(tx, op, ack) {
    const config = await tx.get(CONFIG)
    assert(config !== null, 'not configured: call config(interval, agreementWindow) first')
    const { interval, agreementWindow } = config.value
    assert(typeof op.url === 'string' && op.url.length > 0 && op.url.length <= 2048, `url must be a string of 1 to 2048 characters, got ${JSON.stringify(op.url)}`)
    assert(Number.isSafeInteger(op.timestamp) && op.timestamp >= 0, `timestamp must be ms since the epoch, got ${JSON.stringify(op.timestamp)}`)
    assert(typeof op.responseData === 'string' && op.responseData.length <= MAX_RESPONSE_CHARS, `responseData must be a string of at most ${MAX_RESPONSE_CHARS} characters`)
    const now = Number(ack.ts)
    const drift = op.timestamp - now
    assert(Math.abs(drift) <= agreementWindow, `timestamp ${op.timestamp} is ${Math.abs(drift)} ms ${drift < 0 ? 'before' : 'after'} the executor's time ${now}, outside the agreement window of ${agreementWindow} ms`)
    const [last] = await index.list(urlKey(op.url) + '/', { reverse: true, limit: 1 })
    if (last) {
      const since = op.timestamp - last.value.timestamp
      assert(since >= interval, `timestamp ${op.timestamp} is ${since} ms after the previous capture of ${op.url} at ${last.value.timestamp}; the interval is ${interval} ms`)
    }
    const chars = ack.metadata && typeof ack.metadata.chars === 'number' ? ack.metadata.chars : op.responseData.length
    tx.put(`${urlKey(op.url)}/${tsKey(op.timestamp)}`, {
      url: op.url,
      timestamp: op.timestamp,
      responseData: op.responseData,
      chars,
      capturedBy: ack.origin,
      receivedAt: now,
    })
  },
}
