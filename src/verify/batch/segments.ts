// Segments (docs/protocol.md §14.2): the state checkpoints kept at lengths L1 < L2 < … cut the index
// log [0, head) into segments [0, L1+1), [L1+1, L2+1), …, [Lm+1, head). A segment ends with the seal
// at the next checkpoint's length, and the segment after it starts from that checkpoint (the state
// that very seal signs), so each seal both closes one segment and opens the next.

export interface Segment {
  /** Position in the list of segments, from 0. */
  index: number
  /** The index positions it verifies: [from, to). */
  from: number
  to: number
  /** The length of the state checkpoint it starts from (its seal sits at from - 1); null: genesis. */
  start: number | null
}

/** The segments of an index of `head` entries given the checkpoint lengths kept (any order, duplicates allowed). */
export function cutSegments(checkpoints: readonly number[], head: number): Segment[] {
  const cuts = [...new Set(checkpoints)].filter((l) => Number.isSafeInteger(l) && l > 0 && l + 1 < head).sort((a, b) => a - b)
  const segments: Segment[] = []
  let from = 0
  let start: number | null = null
  for (const l of [...cuts, head - 1]) {
    if (head === 0) break
    segments.push({ index: segments.length, from, to: l + 1, start })
    from = l + 1
    start = l
  }
  return segments
}

/** Share `i` (1-based) of `n`: a contiguous run of the segments, so a share's results chain among themselves. */
export function shareOf<T>(segments: readonly T[], i: number, n: number): T[] {
  if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(i) || i < 1 || i > n) throw new RangeError(`a share is i/n with 1 <= i <= n, not ${i}/${n}`)
  const m = segments.length
  return segments.slice(Math.floor(((i - 1) * m) / n), Math.floor((i * m) / n))
}
