// Signed roots a monitor has seen, and the checks that catch a log rewritten or cut behind its back.

import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import type { BreachClass, SignedRoot } from './breach.js'

/** The head of a log now: its length, tree hash and (when the log holds it) the signature over it. */
export async function signedRoot(core: Hypercore): Promise<SignedRoot> {
  const length = core.length
  // Hypercore keeps the signature of its latest tree on the session state; it has no public getter.
  const state = (core as unknown as { state?: { signature?: Uint8Array | null } }).state
  const signature = state?.signature ? toHex(state.signature) : null
  return { length, hash: toHex(await core.treeHash(length)), signature }
}

export interface RootConflict {
  class: BreachClass
  message: string
  before: SignedRoot
  after: SignedRoot
}

/**
 * Compares a log with a root seen earlier. A shorter log went backwards; a different hash at the
 * old length means two signed roots for one length (a fork).
 */
export async function checkRoot(core: Hypercore, seen: SignedRoot, kind: 'index' | 'oplog'): Promise<RootConflict | null> {
  // The head is read after the comparison, never before: a replica that follows a reorg while this
  // runs would otherwise pair the new tree hash with the old head, evidence that shows no conflict.
  if (core.length < seen.length) {
    const length = core.length
    return {
      class: kind === 'index' ? 'index-truncated' : 'oplog-forked',
      message: `the ${kind} log is ${length} long but was seen at length ${seen.length}`,
      before: seen,
      after: await signedRoot(core),
    }
  }
  const hashThen = toHex(await core.treeHash(seen.length))
  if (hashThen !== seen.hash) {
    return {
      class: kind === 'index' ? 'index-rewritten' : 'oplog-forked',
      message: `the ${kind} log's tree hash at length ${seen.length} changed from ${seen.hash.slice(0, 8)}… to ${hashThen.slice(0, 8)}…`,
      before: seen,
      after: await signedRoot(core),
    }
  }
  return null
}
