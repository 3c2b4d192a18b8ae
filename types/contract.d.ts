// Types for Glassbox contracts: the three modules the sandbox offers (`contract`, `assert`, `util`)
// and the shapes of `tx`, `ack` and `emit`. They describe src/vm/guest/ and docs/contracts.md; the
// sandbox checks every rule at run time whatever these types say.
//
// Use them with a tsconfig that loads no Node.js types (`"types": []`): `assert` and `util` here are
// the contract's modules, not Node's, and a contract has no `process`, `Buffer` or timers.

declare module 'contract' {
  /** The only values that ops, state values, params and results may hold. */
  export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

  /** A state entry. */
  export interface Entry<V extends Json = Json> {
    key: string
    value: V
  }

  export interface ListOptions {
    /** Only keys strictly greater than this one. */
    gt?: string
    /** Only keys strictly less than this one. */
    lt?: string
    /** At most this many entries (a non-negative integer). */
    limit?: number
    /** Largest key first. */
    reverse?: boolean
  }

  /**
   * Reads of the state. In `apply` they see the state before the op plus the op's own writes; in an
   * API function, the caller's copy of the state. Not available in `process()` or while the module
   * loads. Reads return at once (`await` on them is harmless).
   */
  export interface StateReader {
    /** The entry at `key`, or null. */
    get<V extends Json = Json>(key: string): Entry<V> | null
    /** Entries whose key starts with `prefix`, in key order (Unicode code points). */
    list<V extends Json = Json>(prefix?: string, opts?: ListOptions): Entry<V>[]
  }

  export const index: StateReader
  /** The oplogs that are inputs of the database (`.sys/inputs/`), in key order. */
  export function listOplogs(): { pubkey: string }[]
  /** In an API function: whether the caller's oplog is an input, so that its ops will be processed. */
  export const isWriter: boolean
  /** In an API function: the caller's oplog, or null when it has none. */
  export const oplog: { readonly pubkey: string; getLength(): number } | null

  /**
   * The op's view of the state, and the only way to change it. A refused change (a `.sys/` key, a
   * value that is not JSON, a limit) fails the whole op, even if the contract catches the error.
   */
  export interface Tx {
    get<V extends Json = Json>(key: string): Entry<V> | null
    put(key: string, value: Json): void
    delete(key: string): void
    /** Alias of delete. */
    del(key: string): void
    /** Makes an oplog (its 64-hex-character public key) an input: the executor processes its ops. */
    addOplog(oplog: { pubkey: string }): void
    removeOplog(oplog: { pubkey: string }): void
    /** Replaces the contract: ops after this one run `code` (a single ES module, as `source` shows). */
    setContractSource(source: { code: string }): void
  }

  /** What the executor says about the op it is processing. */
  export interface Ack<M extends Json = Json> {
    /** The op's oplog, its public key in lowercase hex. */
    origin: string
    /** The op's position in its oplog. */
    seq: number
    /** The executor's time when it processed the op. */
    ts: Date
    /** What `process(op)` returned, or null. */
    metadata: M | null
  }

  /** Appends an op to the caller's oplog (API functions only). */
  export type Emit<Op extends Json = Json> = (op: Op) => void

  /** An exported function other than apply and process: part of the contract's API. */
  export type Method<P extends Json = Json, Op extends Json = Json, R extends Json | void = Json | void> = (
    params: P,
    emit: Emit<Op>,
  ) => R | Promise<R>

  export type ApplyFunction<Op extends Json = Json, M extends Json = Json> = (tx: Tx, op: Op, ack: Ack<M>) => void | Promise<void>

  /** `apply` as an object: one handler per value of `op.op`. */
  export type ApplyHandlers<Op extends { op: string } & Json, M extends Json = Json> = {
    [K in Op['op']]: ApplyFunction<Extract<Op, { op: K }>, M>
  }

  /** `process(op)`: runs on the executor only; its result becomes `ack.metadata`. */
  export type Process<Op extends Json = Json, M extends Json = Json> = (op: Op) => M | Promise<M>
}

declare module 'assert' {
  export class AssertionError extends Error {
    code: 'ERR_ASSERTION'
    actual: unknown
    expected: unknown
    operator: string
    generatedMessage: boolean
  }

  export function ok(value: unknown, message?: string | Error): asserts value
  export function equal(actual: unknown, expected: unknown, message?: string | Error): void
  export function notEqual(actual: unknown, expected: unknown, message?: string | Error): void
  export function strictEqual<T>(actual: unknown, expected: T, message?: string | Error): asserts actual is T
  export function notStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void
  export function deepEqual(actual: unknown, expected: unknown, message?: string | Error): void
  export function notDeepEqual(actual: unknown, expected: unknown, message?: string | Error): void
  export function deepStrictEqual<T>(actual: unknown, expected: T, message?: string | Error): asserts actual is T
  export function notDeepStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void
  export function match(value: string, regexp: RegExp, message?: string | Error): void
  export function doesNotMatch(value: string, regexp: RegExp, message?: string | Error): void
  export function fail(message?: string | Error): never

  interface Assert {
    (value: unknown, message?: string | Error): asserts value
    ok: typeof ok
    equal: typeof equal
    notEqual: typeof notEqual
    strictEqual: typeof strictEqual
    notStrictEqual: typeof notStrictEqual
    deepEqual: typeof deepEqual
    notDeepEqual: typeof notDeepEqual
    deepStrictEqual: typeof deepStrictEqual
    notDeepStrictEqual: typeof notDeepStrictEqual
    match: typeof match
    doesNotMatch: typeof doesNotMatch
    fail: typeof fail
    AssertionError: typeof AssertionError
  }

  const assert: Assert
  export default assert
}

declare module 'util' {
  /** A random UUID (v4). API functions only: `apply` and `process` must be deterministic. */
  export function genUUID(): string
}
