// The lengths a dispute over a log may span (docs/protocol.md §13): from right after the genesis
// seal (the first root an op entry can be disputed from) to the last seal (the anchor).

import { decodeEntry } from '../codec/messages.js'
import { signedSealAt, type SignedSeal } from '../log/sealed-entry.js'
import { signerOf } from '../log/seal.js'
import type { ReplayLogs } from '../verify/replay.js'
import { DisputeError } from './messages.js'

export interface DisputeBounds {
  /** The length right after the genesis seal. */
  genesisLength: number
  /** The position (and length) of the last seal, and the seal as an open's anchor. */
  anchorLength: number
  anchor: SignedSeal
}

export async function disputeBounds(logs: ReplayLogs): Promise<DisputeBounds> {
  const { index } = logs
  let genesisLength = -1
  for (let p = 0; p < Math.min(index.length, 4096) && genesisLength < 0; p++) {
    const bytes = await index.get(p)
    if (bytes && decodeEntry(bytes).type === 'seal') genesisLength = p + 1
  }
  let anchorLength = -1
  for (let p = index.length - 1; p >= genesisLength && anchorLength < 0; p--) {
    const bytes = await index.get(p)
    const entry = bytes ? decodeEntry(bytes) : null
    if (entry?.type === 'seal' && entry.length === p) anchorLength = p
  }
  if (genesisLength < 0 || anchorLength <= genesisLength) throw new DisputeError('DISPUTE_RANGE', 'the index log holds no sealed entry after genesis: there is nothing to dispute')
  return { genesisLength, anchorLength, anchor: await signedSealAt(index, anchorLength, signerOf(index)) }
}

/** Checks a range against the bounds; `from` and `to` default to them. */
export function rangeWithin(b: DisputeBounds, from = b.genesisLength, to = b.anchorLength): { from: number; to: number } {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < b.genesisLength || to > b.anchorLength || from >= to) {
    throw new DisputeError('DISPUTE_RANGE', `a dispute covers lengths ${b.genesisLength}..${b.anchorLength} here (after genesis, up to the last seal); ${from}..${to} is not inside`)
  }
  return { from, to }
}
