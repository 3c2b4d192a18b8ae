// Writes the fork's index log: the entries a fork replay gives, in blocks closed by seals where the
// original log closed its blocks, each block one atomic append signed with the fork's own key.

import type Hypercore from 'hypercore'
import { encodeEntry, type IndexEntry } from '../codec/messages.js'
import { sealBlock, type BlockResult } from '../executor/seal-block.js'
import type { TreeNode } from '../log/merkle.js'

export class ForkWriter {
  private pending: Buffer[] = []
  private roots: TreeNode[] = []
  private peaks: Uint8Array[] = []

  constructor(private readonly index: Hypercore) {}

  /** Entries written (sealed) so far. */
  get length(): number {
    return this.index.length
  }

  add(entry: IndexEntry): void {
    this.pending.push(Buffer.from(encodeEntry(entry)))
  }

  /** Closes the block of entries added since the last seal, at the fork's state root and oplog positions. */
  async seal(after: BlockResult): Promise<void> {
    if (this.pending.length === 0) return
    const sealed = sealBlock(this.index, { roots: this.roots, peaks: this.peaks }, this.index.length, this.pending, after)
    await this.index.append([...this.pending, sealed.bytes])
    this.roots = sealed.roots
    this.peaks = sealed.peaks
    this.pending = []
  }
}
