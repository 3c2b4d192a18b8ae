// Validates one segment (docs/protocol.md §14.2): from the state checkpoint at its start, checked
// against its seal as a replica synced from it is (net/state-sync.ts), replay the segment's entries
// with the one replay engine the monitor drives, through the seal that ends it. A breach is found,
// reported and proven exactly as a full replay finds, reports and proves it.

import { hash, toHex } from '../../codec/hash.js'
import { encodeEntry } from '../../codec/messages.js'
import { AuthMap } from '../../state/auth/auth-map.js'
import { readChunk, readManifest } from '../../state/checkpoint/checkpoint-files.js'
import { openStateCheckpoint } from '../../state/checkpoint/state-checkpoint.js'
import type { BreachNotice } from '../breach.js'
import type { BuiltProof } from '../fraud-proof.js'
import { VerifyError } from '../replay.js'
import { openLogs } from '../verify-dir.js'
import type { Segment } from './segments.js'

/** One end of a segment: an index length, the state root there and, where a seal stands, its hash. */
export interface SegmentEnd {
  /** Entries before this end. */
  length: number
  stateRoot: string
  /** BLAKE2b-256 of the seal's canonical bytes when the end is a seal (the entry at length - 1); null otherwise. */
  seal: string | null
}

export interface SegmentResult extends Segment {
  valid: boolean
  /** Where it starts: genesis (length 0, no seal) or the checkpoint's seal (the entry at from - 1). */
  startAt: SegmentEnd
  /** Where it ends; after a breach, the position the replay stopped at. */
  endAt: SegmentEnd
  ops: number
  breach: BreachNotice | null
  fraudProof?: BuiltProof
  seconds: number
}

/** Validates `segment` of the database in `dir`, opening its logs read-only. */
export async function validateSegment(dir: string, segment: Segment): Promise<SegmentResult> {
  const started = performance.now()
  const { store, logs, monitor } = await openLogs(dir)
  const key = toHex(logs.index.key)
  try {
    if (logs.index.length < segment.to) throw new VerifyError('SEGMENT_BEYOND_HEAD', `segment [${segment.from}, ${segment.to}) ends past the index log's ${logs.index.length} entries`)
    let base
    // Genesis starts from the empty state (docs/protocol.md §7).
    let startAt: SegmentEnd = { length: 0, stateRoot: toHex(new AuthMap().root()), seal: null }
    if (segment.start !== null) {
      const length = segment.start
      const manifest = await readManifest(dir, length)
      if (!manifest) throw new VerifyError('CHECKPOINT_MISSING', `segment [${segment.from}, ${segment.to}) starts from the state checkpoint at ${length}, which ${dir} does not keep`)
      // Refused with CheckpointError when it is not the state its seal signs.
      base = await openStateCheckpoint(manifest, key, (i) => readChunk(dir, length, i), logs.keyring ? { keys: logs.keyring } : {})
      if (base.seal.length !== segment.from - 1) throw new VerifyError('CHECKPOINT_INVALID', `the state checkpoint at ${length} has its seal at ${base.seal.length}, not at ${segment.from - 1}`)
      startAt = { length: segment.from, stateRoot: toHex(base.seal.stateRoot), seal: toHex(hash(base.sealBytes)) }
    }
    const m = monitor({ checkpointPath: null, fraudProof: true, until: segment.to, ...(base ? { base } : {}) })
    try {
      // Throws CheckpointNotInLog (with the fork proof, if the log holds another signed seal there).
      await m.open()
      const report = await m.verifyToHead()
      const sealed = m.verifiedSeal
      const endAt: SegmentEnd = {
        length: report.verified,
        stateRoot: report.stateRoot,
        seal: report.valid && sealed && sealed.length === report.verified - 1 ? toHex(hash(encodeEntry(sealed))) : null,
      }
      return {
        ...segment,
        valid: report.valid && report.verified === segment.to,
        startAt,
        endAt,
        ops: report.ops,
        breach: report.breach,
        ...(report.fraudProof ? { fraudProof: report.fraudProof } : {}),
        seconds: (performance.now() - started) / 1000,
      }
    } finally {
      await m.stop()
    }
  } finally {
    await store.close()
  }
}
