// Blocks this process just wrote to or read from a log, kept for a short while by position, so that
// a reader in the same process need not read them back from storage: the executor reading an op a
// local caller has just appended, a caller waiting for the index entry that acknowledges its op.
// A read back costs a storage round trip on the caller's path (docs/benchmarks.md, "Latency").
// Only bytes the log holds at those positions go in, after the write or read that put them there,
// so an answer from here is the one storage would give.

/** How many blocks of one log are kept, and how many bytes of them; older ones are dropped first. */
export const RECENT_BLOCKS = 1024
export const RECENT_BYTES = 4 * 1024 * 1024

export class RecentBlocks {
  private readonly blocks = new Map<number, Uint8Array>()
  private bytes = 0

  constructor(
    private readonly limit = RECENT_BLOCKS,
    private readonly limitBytes = RECENT_BYTES,
  ) {}

  /** Keeps `blocks`, which the log holds from position `start` on. */
  add(start: number, blocks: readonly Uint8Array[]): void {
    for (let i = 0; i < blocks.length; i++) {
      this.delete(start + i)
      this.blocks.set(start + i, blocks[i])
      this.bytes += blocks[i].byteLength
    }
    // A Map iterates in insertion order: the first keys are the oldest.
    for (const seq of this.blocks.keys()) {
      if (this.blocks.size <= this.limit && this.bytes <= this.limitBytes) break
      this.delete(seq)
    }
  }

  get(seq: number): Uint8Array | undefined {
    return this.blocks.get(seq)
  }

  /** The block at `seq`, which is then forgotten (a reader that needs it once). */
  take(seq: number): Uint8Array | undefined {
    const block = this.blocks.get(seq)
    if (block !== undefined) this.delete(seq)
    return block
  }

  /** Forgets every block from `length` on (the log was truncated there). */
  truncate(length: number): void {
    for (const seq of [...this.blocks.keys()]) if (seq >= length) this.delete(seq)
  }

  private delete(seq: number): void {
    const block = this.blocks.get(seq)
    if (block === undefined) return
    this.blocks.delete(seq)
    this.bytes -= block.byteLength
  }
}
