// The standby a contract names (docs/protocol.md §18.4): a contract that exports `standby()` says
// which instance (its swarm key) stands by for the executor and may take over, from its state, so
// the members decide it through ops like any other input change (an admin's op, a vote). The executor
// forwards each block to the standby named by the state before that block; a standby takes over only
// if the state it holds, up to the last block it held, names it.

import { MemoryState } from '../state/memory-state.js'
import type { ContractVM } from '../vm/contract-vm.js'
import type { Change, ListOptions, StateEntry, StateReader } from '../vm/types.js'

/** The contract function that names the standby. */
export const STANDBY_METHOD = 'standby'

const SWARM_KEY = /^[0-9a-f]{64}$/

/**
 * What `vm`'s contract names on `state`: undefined when it exports no `standby()` (the standby is
 * then the operator's choice, `serve --standby-peer`); null when it names none; else a swarm key
 * (hex). A result that is neither null nor a swarm key, or a call that fails, names none, and
 * `onInvalid` hears why.
 */
export function namedStandby(vm: ContractVM, state: StateReader, onInvalid?: (why: string) => void): string | null | undefined {
  // Never "names none" for a VM still loading: a block would then go unheld.
  if (!vm.isReady) throw new Error('the contract is not loaded yet: await its ready() before asking it for the standby')
  if (!vm.methods.includes(STANDBY_METHOD)) return undefined
  let response: unknown
  try {
    response = vm.call(STANDBY_METHOD, null, { state, isWriter: false, oplog: null }).response
  } catch (err) {
    onInvalid?.(`standby() failed: ${(err as Error).message}`)
    return null
  }
  if (response === null || (typeof response === 'string' && SWARM_KEY.test(response))) return response
  onInvalid?.(`standby() returned ${JSON.stringify(response)?.slice(0, 100)}, not null or a swarm key (64 lowercase hex characters)`)
  return null
}

/** `base` with `changes` applied on top, without touching it: the state after blocks held but not yet in the log. */
export function stateWith(base: StateReader, changes: readonly Change[]): StateReader {
  if (changes.length === 0) return base
  const overlay = new MemoryState()
  overlay.apply(changes)
  // A key the changes touched reads from them (deleted: undefined); the rest from the base.
  const touched = new Set(changes.map((c) => c.key))
  return {
    get: (key) => (touched.has(key) ? overlay.get(key) : base.get(key)),
    list: (prefix: string, opts: ListOptions = {}): StateEntry[] => {
      const merged = new MemoryState(base.list(prefix, { ...(opts.gt === undefined ? {} : { gt: opts.gt }), ...(opts.lt === undefined ? {} : { lt: opts.lt }) }).map((e) => [e.key, e.value] as const))
      merged.apply(changes)
      return merged.list(prefix, opts)
    },
  }
}
