// What a dishonest executor does after rewriting an entry of its own index log: it signs the seals
// after it again, so the forged log is as validly signed as an honest one. Used by the demo, the
// fraud-proof tests and the benchmark; no honest code path calls it.

import type Hypercore from 'hypercore'
import { decodeEntry, encodeEntry, type IndexEntry, type OpEntry } from '../codec/messages.js'
import { IndexState } from '../state/index-state.js'
import { appendEntries } from '../log/accumulator.js'
import { appendLeaves, treeHash } from '../log/merkle.js'
import { positionsHash } from '../log/positions.js'
import { signSeal } from '../log/seal.js'

/**
 * Replaces the index log's entries from `from` on with `blocks`, re-signing every seal among them
 * with the right length, tree hash, accumulator peaks and oplog positions and, as state root, the one
 * the entry before it claims.
 * Blocks that do not decode are written as they are.
 */
export async function rewriteSealed(index: Hypercore, from: number, blocks: readonly Uint8Array[]): Promise<void> {
  const secretKey = index.keyPair?.secretKey
  if (!secretKey) throw new Error('only the holder of the index key pair can sign its seals')
  const before: Uint8Array[] = []
  for (let i = 0; i < from; i++) {
    const block = await index.get(i)
    if (!block) throw new Error(`index entry ${i} is not available`)
    before.push(block)
  }
  // Where the log as rewritten leaves each oplog: what an honest seal of it would commit to.
  const positions = new Map<string, number>()
  const note = (entry: IndexEntry | null) => {
    if (entry?.type === 'op') positions.set(entry.ack.origin, entry.ack.seq)
  }
  for (const block of before) note(decodeOrNull(block))
  let roots = appendLeaves([], 0, before)
  let peaks = appendEntries([], 0, before)
  let previous: IndexEntry | null = from > 0 ? decodeOrNull(before[from - 1]) : null
  const out: Buffer[] = []
  for (let i = 0; i < blocks.length; i++) {
    let block = blocks[i]
    const entry = decodeOrNull(block)
    if (entry?.type === 'seal') {
      const stateRoot = previous?.type === 'op' || previous?.type === 'seal' ? previous.stateRoot : entry.stateRoot
      block = encodeEntry(signSeal(index.key, secretKey, { length: from + i, treeHash: treeHash(roots), stateRoot, positions: positionsHash(positions), peaks }))
    }
    roots = appendLeaves(roots, from + i, [block])
    peaks = appendEntries(peaks, from + i, [block])
    previous = decodeOrNull(block)
    note(previous)
    out.push(Buffer.from(block))
  }
  await index.truncate(from)
  if (out.length > 0) await index.append(out)
}

/**
 * Publishes other changes at the op entry `p` and carries on from the state they make: every later
 * entry's root is that state's and every seal is signed again, so the log holds together and only
 * re-executing entry `p` shows it is wrong (what a dispute, docs/protocol.md §13, bisects to).
 */
export async function carryLie(index: Hypercore, p: number, changes: (entry: OpEntry) => OpEntry['changes']): Promise<void> {
  const view = new IndexState()
  const blocks: Uint8Array[] = []
  for (let i = 0; i < index.length; i++) {
    const block = await index.get(i)
    if (!block) throw new Error(`index entry ${i} is not available`)
    let entry = decodeEntry(block)
    if (i >= p && entry.type === 'op') {
      const published = i === p ? changes(entry) : entry.changes
      view.fold({ ...entry, changes: published })
      entry = { ...entry, changes: published, stateRoot: view.state.root() }
      blocks.push(encodeEntry(entry))
      continue
    }
    if (i === p) throw new Error(`index entry ${p} is a ${entry.type} entry, not an op`)
    view.fold(entry)
    if (i >= p) blocks.push(encodeEntry(entry))
  }
  await rewriteSealed(index, p, blocks)
}

function decodeOrNull(block: Uint8Array): IndexEntry | null {
  try {
    return decodeEntry(block)
  } catch {
    return null
  }
}
