// Chaining (docs/protocol.md §14.3): segment results add up to a validation of the whole history
// only if they cover it without gap or overlap and each one ends where the next starts: the same
// seal, so the same state root. A gap, an overlap or a mismatch is an error, never a pass.

import { GlassboxError } from '../../errors.js'
import type { SegmentEnd } from './validate-segment.js'

export class ChainError extends GlassboxError {}

export interface Chainable {
  from: number
  to: number
  valid: boolean
  startAt: SegmentEnd
  endAt: SegmentEnd
}

const same = (a: SegmentEnd, b: SegmentEnd) => a.length === b.length && a.stateRoot === b.stateRoot && a.seal === b.seal

/**
 * Checks that `results` (in order) chain from `from` to `to`; throws ChainError naming the first
 * link that does not hold. A failed segment's end is where its breach stopped it, so the link after
 * it is not checked: that segment already makes the whole invalid.
 */
export function checkChain(results: readonly Chainable[], from: number, to: number): void {
  if (results.length === 0) {
    if (from !== to) throw new ChainError('SEGMENT_GAP', `no segment covers [${from}, ${to})`)
    return
  }
  if (results[0].from !== from) throw new ChainError('SEGMENT_GAP', `the first segment starts at ${results[0].from}, not ${from}`)
  for (let i = 0; i < results.length; i++) {
    const r = results[i]
    if (r.startAt.length !== r.from) throw new ChainError('SEGMENT_CHAIN', `segment [${r.from}, ${r.to}) starts at length ${r.startAt.length}`)
    if (r.valid && !same(r.endAt, { ...r.endAt, length: r.to })) throw new ChainError('SEGMENT_CHAIN', `segment [${r.from}, ${r.to}) ends at length ${r.endAt.length}`)
    const next = results[i + 1]
    if (!next) break
    if (next.from !== r.to) throw new ChainError(next.from > r.to ? 'SEGMENT_GAP' : 'SEGMENT_OVERLAP', `segment [${r.from}, ${r.to}) is followed by [${next.from}, ${next.to}): ${next.from > r.to ? 'a gap' : 'an overlap'}`)
    if (r.valid && !same(r.endAt, next.startAt)) {
      throw new ChainError('SEGMENT_CHAIN', `segment [${r.from}, ${r.to}) ends at state root ${r.endAt.stateRoot.slice(0, 8)}… (seal ${String(r.endAt.seal).slice(0, 8)}…) but [${next.from}, ${next.to}) starts at ${next.startAt.stateRoot.slice(0, 8)}… (seal ${String(next.startAt.seal).slice(0, 8)}…)`)
    }
  }
  const last = results[results.length - 1]
  if (last.to !== to) throw new ChainError('SEGMENT_GAP', `the last segment ends at ${last.to}, not ${to}`)
}
