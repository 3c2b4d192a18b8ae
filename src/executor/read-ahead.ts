// Reads an oplog's next ops ahead of the executor, a batch issued together, instead of one awaited
// read per op: Hypercore's storage answers a batch of point reads in little more than the time of
// one (docs/benchmarks.md, "Executor throughput": about 45 % more ops/s). Used within one block and
// then dropped, so a read never outlives the block that asked for it.

import type Hypercore from 'hypercore'
import type { RecentBlocks } from '../log/recent-blocks.js'

/** The most reads issued at once for one oplog. */
export const READ_AHEAD = 128

export class ReadAhead {
  private readonly pending = new Map<Hypercore, { from: number; reads: Promise<Buffer | null>[] }>()

  /**
   * Op `seq` of `core`, or null if the log does not hold it locally: from `recent` (the blocks this
   * process appended to it) if it is there, else read, and then the next `want` ops (at most
   * READ_AHEAD, and no further than the ops the log holds from its start) are read together.
   */
  get(core: Hypercore, seq: number, want: number, recent?: RecentBlocks): Promise<Buffer | null> {
    // An op a caller in this process has just appended is still in memory.
    const appended = recent?.take(seq)
    if (appended !== undefined) return Promise.resolve(Buffer.from(appended.buffer, appended.byteOffset, appended.byteLength))
    let batch = this.pending.get(core)
    if (!batch || seq < batch.from || seq >= batch.from + batch.reads.length) {
      // A replica of a remote oplog knows its length before it holds the ops: only those held are
      // read ahead. A read that finds nothing ends the block, and the next block would read the
      // same missing ops again, some ten reads per op at 1,000 ops/s from a remote participant.
      const n = Math.max(1, Math.min(want, READ_AHEAD, core.contiguousLength - seq))
      const reads = Array.from({ length: n }, (_, i) => core.get(seq + i, { wait: false }))
      // A read the block ends without using must not surface as an unhandled rejection.
      for (const r of reads) r.catch(() => {})
      batch = { from: seq, reads }
      this.pending.set(core, batch)
    }
    return batch.reads[seq - batch.from]
  }
}
