// What crosses between the executor (the host) and an isolated runtime (the guest). Messages are
// structured-cloned (thread) or v8-serialized (process): both keep Json values, -0 and Uint8Array
// exactly, so the guest computes the entry the host would have computed.

import { StoreIntegrityError } from '../../errors.js'
import type { Json, Limits, ListOptions, StateEntry } from '../../vm/types.js'
import type { ExecuteOptions, OpDraft, OpSource } from '../execute-op.js'

export type HostMessage =
  /** Load a contract source as VM `id` (the host has already loaded the same source itself). */
  | { t: 'load'; id: number; source: string; limits: Limits }
  | { t: 'drop'; id: number }
  | { t: 'exec'; vm: number; src: OpSource; opts: ExecuteOptions }

export type GuestMessage =
  | { t: 'done'; draft: OpDraft }
  | { t: 'fail'; error: ErrorShape }
  /** The VM of a 'load' is ready (or failed to load): the op ceiling counts only the op itself. */
  | { t: 'loaded'; id: number; error?: ErrorShape }

/** A state read the guest needs answered before it can go on (it blocks until then). */
export type ReadRequest = { t: 'get'; key: string } | { t: 'list'; prefix: string; opts: ListOptions }

export type ReadReply = { value: Json | undefined } | { entries: StateEntry[] } | { error: ErrorShape }

/** An error carried across: rebuilt on the other side with the same message and code. */
export interface ErrorShape {
  name: string
  message: string
  code?: string
  /** A state store's lie keeps its class across: the guest's VM must treat it as a host fault. */
  store?: { key: string; expected: string; found: string | null }
}

export function errorShape(err: unknown): ErrorShape {
  const e = err instanceof Error ? err : new Error(String(err))
  const code = (e as { code?: unknown }).code
  const store = e instanceof StoreIntegrityError ? { store: { key: e.key, expected: e.expected, found: e.found } } : {}
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}), ...store }
}

export function rebuildError(shape: ErrorShape): Error {
  if (shape.store !== undefined) return new StoreIntegrityError(shape.store.key, shape.store.expected, shape.store.found)
  const err = new Error(shape.message) as Error & { code?: string }
  err.name = shape.name
  if (shape.code !== undefined) err.code = shape.code
  return err
}
