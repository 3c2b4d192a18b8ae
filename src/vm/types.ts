// The contract runtime's boundary types: everything that crosses between the host and the sandbox.

/** A JSON value: the only kind of value that ops, state values, params and responses may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export interface StateEntry {
  key: string
  value: Json
}

export interface ListOptions {
  /** Only keys strictly greater than this one. */
  gt?: string
  /** Only keys strictly less than this one. */
  lt?: string
  limit?: number
  reverse?: boolean
}

/**
 * A read-only view of the contract state that the host serves to the sandbox. Reads are
 * synchronous (DESIGN.md: host reads during `apply` are served from the pre-op state).
 * Keys are ordered by Unicode code point (the same order as their UTF-8 bytes).
 */
export interface StateReader {
  get(key: string): Json | undefined
  /** Entries whose key starts with `prefix`, in key order (reversed if asked), bounded by gt/lt/limit. */
  list(prefix: string, opts?: ListOptions): StateEntry[]
}

/**
 * The keys (hex) of the logs a database itself writes: its index log (the database key) and the
 * index log's signer. They are never participant oplogs, so `addOplog` refuses them (an index log
 * declared as an input would feed the executor its own appends as ops, without end).
 */
export interface SystemKeys {
  index: string
  signer: string
}

/** The state `apply` runs against, with what the rules of `tx` need to know about the database. */
export interface ApplyState extends StateReader {
  readonly systemKeys: SystemKeys
}

/** One change an op makes to the state, in the order the contract made it. */
export type Change =
  | { type: 'put'; key: string; value: Json }
  | { type: 'del'; key: string }

/** What `apply` learns about the op besides its content (seed 001 §3.3). */
export interface AckInput {
  /** The oplog's public key, lowercase hex. */
  origin: string
  seq: number
  /** Executor time in milliseconds since the epoch; the sandbox sees it as a Date. */
  ts: number
  /** What `process()` returned for this op, or null. */
  metadata: Json
}

export interface ApplyResult {
  success: boolean
  /** The error message when success is false. */
  error: string | null
  /** Empty when success is false. */
  changes: Change[]
  /** Gas used, counted by the canonical (fresh VM) rules when a limit came close. */
  gas: number
}

export interface CallContext {
  state: StateReader
  /** True when the caller's oplog is an active input of the database. */
  isWriter: boolean
  /** The caller's oplog, if it has one. */
  oplog: { pubkey: string; length: number } | null
}

export interface CallResult {
  response: Json
  /** Ops passed to `emit()`, in order. */
  ops: Json[]
}

export interface Limits {
  /** Gas per op: fuel counted inside QuickJS, in units of FUEL_PER_GAS (src/vm/fuel/costs.ts; protocol §6.1). */
  gas: number
  /** Bytes the QuickJS heap may hold. */
  memoryBytes: number
  /** Bytes of native stack the interpreter may use. */
  stackBytes: number
  /** UTF-8 bytes of a key. */
  maxKeyBytes: number
  /** Bytes of a value's JSON text. */
  maxValueBytes: number
  /** Bytes of an op's JSON text. */
  maxOpBytes: number
  /** Changes one op may make. */
  maxChanges: number
  /** Bytes of a contract's source. */
  maxSourceBytes: number
}
