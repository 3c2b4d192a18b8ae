// The checkpoint schedule (docs/protocol.md §14.1): with `checkpointEvery` K > 0, the executor keeps a
// state checkpoint at the first seal at or after each multiple of K. The checkpoints cut history into
// segments that validators check in parallel. What is due is computed from the checkpoints already
// kept, so a restart neither skips a multiple (it takes the one it missed at the head it reopens
// at) nor takes a second checkpoint for a multiple that has one.

export class CheckpointSchedule {
  /** The length at or after which the next checkpoint is due. */
  private target: number

  constructor(
    readonly every: number,
    kept: readonly number[],
  ) {
    if (!Number.isSafeInteger(every) || every < 1) throw new RangeError(`checkpointEvery must be a whole number >= 1, not ${every}`)
    this.target = nextTarget(every, kept.length > 0 ? Math.max(...kept) : 0)
  }

  /** Whether a seal covering `length` entries should be kept as a checkpoint. */
  due(length: number): boolean {
    return length >= this.target
  }

  /** Notes the checkpoint taken at `length`: the next one is due at the multiple of K after it. */
  taken(length: number): void {
    this.target = Math.max(this.target, nextTarget(this.every, length))
  }
}

/** The first multiple of `every` above `last` (checkpoints at lengths past it are due). */
export function nextTarget(every: number, last: number): number {
  return (Math.floor(last / every) + 1) * every
}

/** Checks a `checkpointEvery` value from a manifest or a flag: 0 (off) or a whole number. */
export function checkEvery(value: unknown, where: string): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new RangeError(`${where}: checkpointEvery must be a whole number >= 0 (0: no checkpoints), not ${JSON.stringify(value)}`)
  return value
}
