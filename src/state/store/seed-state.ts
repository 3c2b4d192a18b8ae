// A state store written from a state checkpoint (docs/protocol.md §12): what folding the index log up
// to the checkpoint's seal would have left, for a replica that holds the log only from that seal on.

import type { IndexEntry } from '../../codec/messages.js'
import { AuthMap } from '../auth/auth-map.js'
import { IndexState } from '../index-state.js'
import type { VerifiedStateCheckpoint } from '../checkpoint/state-checkpoint.js'
import type { StateStore } from './state-store.js'

/**
 * Commits the checkpoint's state, positions and seal to `store` as the view after the seal; false
 * when the store could not take it. `before`: the entry before the seal, when the replica holds it
 * (its ack is the store's, as a fold would have noted it).
 */
export function seedFromCheckpoint(store: StateStore, cp: VerifiedStateCheckpoint, runtime: string, before: IndexEntry | null): boolean {
  const map = new AuthMap()
  map.attachSource(store)
  // Every key is new to the store: applied as puts, so the commit writes each one.
  map.apply([...cp.state.entries()].map((e) => ({ type: 'put' as const, key: e.key, value: e.value })))
  const view = new IndexState(map)
  view.runtime = runtime
  view.genesisDone = true
  for (const [origin, seq] of cp.positions) view.lastSeq.set(origin, seq)
  view.lastSeal = { position: cp.seal.length, seal: cp.seal }
  view.length = cp.seal.length + 1
  view.acks.attachSource(store, 0)
  if (before?.type === 'op') view.acks.set(before.ack.origin, before.ack.seq, { seq: cp.seal.length - 1, success: before.ack.success })
  return store.commit(view)
}
