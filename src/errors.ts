// Typed errors with stable codes, so callers (and the CLI) can branch on them.

export class GlassboxError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** A contract source that cannot be loaded (syntax error, missing `apply`, bad import, too large). */
export class ContractError extends GlassboxError {}

/** A contract method call that failed (thrown error, limit, unknown method). */
export class CallError extends GlassboxError {}

/** Bytes that do not decode to a valid canonical structure. */
export class DecodeError extends GlassboxError {}

/** A value that cannot be encoded canonically (NaN, undefined, non-plain object...). */
export class EncodeError extends GlassboxError {}

/** A database directory that is missing, incomplete, locked or of another version. */
export class DatabaseError extends GlassboxError {}

/** Bad arguments from a caller (CLI flags, API parameters). */
export class UsageError extends GlassboxError {}

/** A state checkpoint that does not match its seal, does not open, or is not a checkpoint at all (docs/protocol.md §12). */
export class CheckpointError extends GlassboxError {}

/** A peer-to-peer or network failure: no peer found in time, a bad bootstrap address, a lost connection. */
export class NetworkError extends GlassboxError {}

/**
 * The state store answered a read with a value the authenticated map does not commit to, or with
 * none (docs/protocol.md §5.5): a local disk fault, never an op's outcome. `code` is STORE_INTEGRITY;
 * `expected` is the key's leaf hash (hex), `found` the leaf hash the store's answer gives, or null
 * when it had none. A run that meets it ends without a result, the executor stops signing, and the
 * store is marked damaged so that the next open rebuilds it from the index log.
 */
export class StoreIntegrityError extends GlassboxError {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly found: string | null,
  ) {
    super(
      'STORE_INTEGRITY',
      found === null
        ? `the state store holds no value for ${JSON.stringify(key)}, whose leaf hash is ${expected}`
        : `the state store's value for ${JSON.stringify(key)} gives leaf hash ${found}, not ${expected}, the one the state root commits to`,
    )
  }
}

/**
 * The isolated contract runtime (a worker thread or child process) failed: an op ran past the
 * wall-clock ceiling (OP_CEILING) or the runtime died (RUNTIME_DIED). The executor stops and
 * records nothing for the op in flight.
 */
export class RuntimeError extends GlassboxError {}
