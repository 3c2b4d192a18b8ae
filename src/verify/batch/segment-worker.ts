// A worker of the segment pool, as a worker thread or a child process: validates the segments it
// is sent, one at a time, each with its own read-only open of the logs (RocksDB lets any number of
// read-only opens share a store).

import { parentPort } from 'node:worker_threads'
import { validateSegment } from './validate-segment.js'
import type { SegmentJob, SegmentReply } from './segment-pool.js'

const port = parentPort ?? (process.send ? { on: (e: 'message', f: (m: SegmentJob) => void) => process.on(e, f), postMessage: (m: SegmentReply) => process.send!(m) } : null)
if (!port) throw new Error('segment-worker.js runs as a worker thread or a child process')
port.on('message', (job: SegmentJob) => {
  validateSegment(job.dir, job.segment).then(
    (result): SegmentReply => ({ id: job.id, result }),
    (err: Error & { code?: string; fraudProof?: unknown }): SegmentReply => ({
      id: job.id,
      error: { name: err.name, message: err.message, ...(err.code ? { code: err.code } : {}), ...(err.fraudProof ? { fraudProof: err.fraudProof } : {}) },
    }),
  ).then((reply) => port.postMessage(reply))
})
