// Proofs of execution for a range of the index log (docs/protocol.md §11.6): what a light client
// asks for when claims do not settle a root. Any holder of the logs (the executor, a monitor)
// replays the range and, for each op, records what the judge needs to re-execute it alone (the op
// with its oplog proof, the entry and the one before it, a witness of the state it reads and writes),
// all anchored to the seal that ends the range. If the replay finds a breach in the range, the answer
// is that breach's fraud proof instead.

import { decodeEntry } from '../codec/messages.js'
import { toHex } from '../codec/hash.js'
import { proveEntry, signedSealAt, type EntryProof, type SignedSeal } from '../log/sealed-entry.js'
import { signerOf } from '../log/seal.js'
import { ProofError } from '../log/proof-shape.js'
import type { BreachNotice } from './breach.js'
import type { ExecutionProof, FraudProof } from './fraud-proof.js'
import { Replay, type ReplayLogs } from './replay.js'

export const EXECUTION_RANGE_FORMAT = 'glassbox-execution/1'

/** The entries from..to-1, each provable under the seal at position `to`. */
export interface ExecutionRange {
  format: typeof EXECUTION_RANGE_FORMAT
  key: string
  from: number
  to: number
  /** The seal at position `to` (it covers every entry before it). */
  anchor: SignedSeal
  /** Entry from-1, whose state root is the range's starting root. */
  start: EntryProof
  /** In order: each op with what re-executes it, each seal with its entry proof. */
  steps: ({ kind: 'op'; proof: ExecutionProof } | { kind: 'seal'; entry: EntryProof })[]
}

export type ExecutionAnswer = { range: ExecutionRange; fraudProof: null; reason: null } | { range: null; fraudProof: FraudProof | null; reason: string }

/** Most entries one request may ask for: a range proof carries a witness per op. */
export const MAX_RANGE = 4096

/**
 * Replays the logs to `from` (folding, no contract runs), then verifies and records entries
 * from..to-1. `to` must be the position of a seal, `from` a position after genesis; 0 means right
 * after the genesis seal.
 */
export async function proveExecutionRange(logs: ReplayLogs, from: number, to: number): Promise<ExecutionAnswer> {
  const index = logs.index
  if (from === 0) from = (await genesisSeal(logs)) + 1
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || to <= from || to >= index.length) {
    throw new ProofError('PROOF_RANGE', `no range ${from}..${to} in an index log of ${index.length} entries (the range ends at a seal it holds)`)
  }
  if (to - from > MAX_RANGE) throw new ProofError('PROOF_RANGE', `a range proof covers at most ${MAX_RANGE} entries; ask for shorter ranges`)
  const sealBytes = await index.get(to)
  const seal = sealBytes ? decodeEntry(sealBytes) : null
  if (seal?.type !== 'seal' || seal.length !== to) throw new ProofError('PROOF_RANGE', `entry ${to} is not a seal over the entries before it`)
  const replay = new Replay(logs)
  try {
    await replay.resumeAt(from)
    if (!replay.genesisDone) throw new ProofError('PROOF_RANGE', `entry ${from} is inside genesis: a range starts after the genesis ack`)
    const anchor = await signedSealAt(index, to, signerOf(index))
    const steps: ExecutionRange['steps'] = []
    for (let p = from; p < to; p++) {
      const bytes = await index.get(p)
      const entry = bytes ? decodeEntry(bytes) : null
      if (entry?.type === 'op') {
        const built = await replay.fraudProof(probeNotice(p, toHex(index.key)))
        if (!built.proof || !('witness' in built.proof)) return { range: null, fraudProof: null, reason: `entry ${p} cannot be proven: ${built.reason ?? 'no witness'}` }
        // Anchored to the seal that ends the range, so every step is shown in one signed log.
        const proof: ExecutionProof = {
          ...built.proof,
          anchor,
          header: await proveEntry(index, 0, to),
          previous: await proveEntry(index, p - 1, to),
          entry: await proveEntry(index, p, to),
        }
        steps.push({ kind: 'op', proof })
      } else if (entry?.type === 'seal') {
        steps.push({ kind: 'seal', entry: await proveEntry(index, p, to) })
      }
      const notice = await replay.verifyNext()
      if (notice) {
        const fraud = await replay.fraudProof(notice)
        return { range: null, fraudProof: fraud.proof, reason: `entry ${notice.seq} breaks the contract (${notice.class}): ${fraud.proof ? 'its fraud proof is attached' : fraud.reason}` }
      }
    }
    return { range: { format: EXECUTION_RANGE_FORMAT, key: toHex(index.key), from, to, anchor, start: await proveEntry(index, from - 1, to), steps }, fraudProof: null, reason: null }
  } finally {
    replay.dispose()
  }
}

/** The position of the seal that closes genesis: the first seal of the log. */
async function genesisSeal(logs: ReplayLogs): Promise<number> {
  for (let p = 0; p < Math.min(logs.index.length, 4096); p++) {
    const bytes = await logs.index.get(p)
    if (bytes && decodeEntry(bytes).type === 'seal') return p
  }
  throw new ProofError('PROOF_RANGE', 'the index log has no genesis seal')
}

/** The notice a witness is built for: the class only names the proof shape (an execution proof). */
function probeNotice(seq: number, key: string): BreachNotice {
  return { class: 'changes-mismatch', seq, path: null, message: `entry ${seq}, re-executed`, expected: null, found: null, evidence: { index: key, indexLength: seq + 1, indexHash: '' } }
}
