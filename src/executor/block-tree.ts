// A tree of speculative blocks above the sealed head (seed 000: SpeculativeCache, execute_block,
// commit_blocks, reset): what-if branches a caller builds, compares, prunes and commits. A block is a
// list of calls with the time its ops are stamped with; its state is the head's with every block on
// its path executed in order, re-executed synchronously at a block boundary and taken back before
// anything else runs (Database.speculate), so nothing speculative is ever in the state, the store,
// a proof or a peer's copy. Committing a branch publishes its calls as ordinary ops, in order, for the
// executor to run; the executor may interleave other participants' ops, which the result says.

import { encode } from '../codec/canonical.js'
import { hash, toHex } from '../codec/hash.js'
import { GlassboxError } from '../errors.js'
import type { Change, Json } from '../vm/types.js'

export class BlockTreeError extends GlassboxError {}

/** One call of a speculative block: a contract method, its params, the local oplog it goes as. */
export interface TreeCall {
  method: string
  params?: Json
  as?: string
}

/** A block on a path to execute: its calls and the time (ms) its ops are stamped with. */
export interface PathBlock {
  calls: readonly TreeCall[]
  ts: number
}

/** What one op of a block did. */
export interface SpeculativeOp {
  method: string
  op: Json
  success: boolean
  error: string | null
  metadata: Json
  changes: Change[]
  stateRoot: string
}

/** A path executed on the sealed head: the head, and what its last block did. */
export interface PathRun {
  head: { length: number; stateRoot: string }
  /** The responses of the last block's calls, in order. */
  responses: Json[]
  ops: SpeculativeOp[]
  /** The state root after the last block. */
  stateRoot: string
}

/** A block's compute result (seed 000's StateComputeResult). */
export interface SpeculativeBlock {
  id: string
  parent: string | null
  calls: readonly TreeCall[]
  ts: number
  responses: Json[]
  ops: SpeculativeOp[]
  stateRoot: string
}

/** What committing a branch did: each call's published ops as the executor acknowledged them. */
export interface CommitResult {
  ops: { method: string; success: boolean; error: string | null }[]
  /** The sealed state root after the executor processed them, and whether it is the branch's. */
  stateRoot: string
  asSpeculated: boolean
}

export interface TreeHost {
  /** Executes `path` on the sealed head and takes it back before resolving. */
  speculate(path: readonly PathBlock[]): Promise<PathRun>
  /** Publishes `calls` in order as ops of their oplogs, waits until the executor processed them, and says the sealed root then. */
  publish(calls: readonly TreeCall[]): Promise<Omit<CommitResult, 'asSpeculated'>>
}

export class BlockTree {
  private readonly blocks = new Map<string, SpeculativeBlock>()
  /** The head every block was executed on; set by the first block. */
  private head: PathRun['head'] | null = null

  constructor(private readonly host: TreeHost) {}

  /** The blocks held, oldest first. */
  get size(): number {
    return this.blocks.size
  }

  get(id: string): SpeculativeBlock | undefined {
    return this.blocks.get(id)
  }

  /**
   * Executes `calls` as a block on `parent` (null: the sealed head) and keeps it. Its id is the hash
   * of its parent, its calls and its time, so the same block on the same parent is the same block.
   */
  async executeBlock(calls: readonly TreeCall[], parent: string | null = null, ts = Date.now()): Promise<SpeculativeBlock> {
    if (calls.length === 0) throw new BlockTreeError('EMPTY_BLOCK', 'a block needs at least one call')
    const path = [...this.pathTo(parent), { calls, ts }]
    const run = await this.host.speculate(path)
    if (this.head && (run.head.length !== this.head.length || run.head.stateRoot !== this.head.stateRoot)) {
      throw new BlockTreeError('STALE_TREE', `the sealed head moved from length ${this.head.length} to ${run.head.length} under the tree: reset it`)
    }
    this.head ??= run.head
    const id = toHex(hash(encode({ kind: 'speculative-block', parent, calls: calls as unknown as Json, ts })))
    const block: SpeculativeBlock = { id, parent, calls, ts, responses: run.responses, ops: run.ops, stateRoot: run.stateRoot }
    this.blocks.set(id, block)
    return block
  }

  /** Keeps `id`'s branch (its ancestors and descendants) and drops every other block and all it holds. */
  prune(id: string): void {
    this.must(id)
    const keep = new Set(this.pathIds(id))
    for (const b of this.blocks.values()) if (this.pathIds(b.id).includes(id)) keep.add(b.id)
    for (const other of [...this.blocks.keys()]) if (!keep.has(other)) this.blocks.delete(other)
  }

  /** Drops every block: the tree is the sealed head again. */
  reset(): void {
    this.blocks.clear()
    this.head = null
  }

  /**
   * Makes a branch durable: `ids` must be a path from the head (each block's parent the one before
   * it). Its calls are published in order; the tree is then reset, since the head has moved.
   */
  async commitBlocks(ids: readonly string[]): Promise<CommitResult> {
    if (ids.length === 0) throw new BlockTreeError('EMPTY_BRANCH', 'name the blocks to commit, from the head on')
    let parent: string | null = null
    for (const id of ids) {
      const b = this.must(id)
      if (b.parent !== parent) throw new BlockTreeError('NOT_A_BRANCH', `block ${id.slice(0, 8)}… is not built on ${parent === null ? 'the sealed head' : `${parent.slice(0, 8)}…`}`)
      parent = id
    }
    const last = this.must(ids[ids.length - 1])
    const result = await this.host.publish(ids.flatMap((id) => this.must(id).calls))
    this.reset()
    return { ...result, asSpeculated: result.stateRoot === last.stateRoot }
  }

  private must(id: string): SpeculativeBlock {
    const b = this.blocks.get(id)
    if (!b) throw new BlockTreeError('NO_SUCH_BLOCK', `no block ${id.slice(0, 8)}… in the tree (pruned, or never executed)`)
    return b
  }

  /** Ids from the head's child down to `id`. */
  private pathIds(id: string | null): string[] {
    const ids: string[] = []
    for (let at = id; at !== null; at = this.must(at).parent) ids.unshift(at)
    return ids
  }

  private pathTo(id: string | null): PathBlock[] {
    return this.pathIds(id).map((b) => ({ calls: this.must(b).calls, ts: this.must(b).ts }))
  }
}
