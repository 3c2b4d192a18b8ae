// The operations the CLI performs on an open database. A `serve` process answers them for its
// clients and a command without a server runs them itself, so both paths give the same results.
// Params arrive untrusted (from a socket), so every method checks them before touching the database.

import { isPubkeyHex } from '../codec/hash.js'
import type { Database, DatabaseInfo, OpResult, Preview } from '../database.js'
import { UsageError } from '../errors.js'
import { defaultCheckpointPath } from '../verify/verify-dir.js'
import type { VerifyReport } from '../verify/monitor.js'
import type { ReceiptFile, StateProofFile } from '../participant/proof-files.js'
import type { AccumulatorProof, LogCheckpoint } from '../log/log-checkpoint.js'
import type { Json, StateEntry } from '../vm/types.js'
import { toJson } from '../codec/json.js'

export interface CallParams {
  method: string
  params?: Json
  /** The local oplog to call as (default: the first one). */
  as?: string
  /** Wait until the executor has processed the emitted ops (default true). */
  wait?: boolean
  /** Also return a receipt for the emitted ops (implies waiting). */
  receipt?: boolean
}

/** What an op became once processed. */
export type OpOutcome = Pick<OpResult, 'index' | 'success' | 'error' | 'ts' | 'metadata' | 'changes'>

export interface CallOutput {
  method: string
  response: Json
  /** The emitted ops; `outcome` is null when the call did not wait for them. */
  ops: { origin: string; seq: number; op: Json; outcome: OpOutcome | null }[]
  /** The receipt file (docs/protocol.md §9.2), when asked for and the call emitted ops. */
  receipt?: ReceiptFile
}

export interface OutcomesParams {
  /** Ops published earlier (by a `call` that did not wait). */
  ops: { origin: string; seq: number }[]
  /** Wait until every op is processed (default true); else answer with what is known now. */
  wait?: boolean
  /** Also return a receipt for the ops (implies waiting). */
  receipt?: boolean
}
export interface OutcomesOutput {
  /** Whether this database runs the executor itself (else it waits for a remote one). */
  executor: boolean
  /** What each op became; null for an op not processed yet (only without waiting). */
  outcomes: (OpOutcome | null)[]
  receipt?: ReceiptFile
}

export interface GetParams {
  key: string
  /** Also return a state proof file (docs/protocol.md §9.1). */
  proof?: boolean
}
export interface GetOutput {
  key: string
  found: boolean
  value: Json
  proof?: StateProofFile
}

export interface ListParams {
  prefix?: string
  limit?: number
  reverse?: boolean
}
export interface ListOutput {
  prefix: string
  entries: StateEntry[]
}

export interface HistoryParams {
  /** 'index' (default), a local oplog's name, or an oplog's public key. */
  log?: string
  start?: number
  end?: number
}
export interface HistoryOutput {
  /** 'index' or the oplog's public key. */
  log: string
  kind: 'index' | 'oplog'
  /** The local name of the oplog, when it has one. */
  name: string | null
  /** Index entries or ops, bytes as hex. */
  items: Json[]
}

export interface ServerInfo {
  pid: number
  socket: string
}
export interface InfoOutput extends DatabaseInfo {
  /** The `glassbox serve` process that answered, or null when the command opened the database itself. */
  server: ServerInfo | null
}

export interface SourceOutput {
  bytes: number
  source: string
}

export interface VerifyParams {
  /** Resume from and update the directory's monitor checkpoint (monitor.json). */
  checkpoint?: boolean
  /** Build the fraud proof of a breach and return it in the result (`fraudProof`). */
  fraudProof?: boolean
  /** Report entries unsealed this long (ms) with a seal-overdue notice (default 30 000). */
  sealTimeoutMs?: number
  /** Report an input's op left unacknowledged this long (ms) with an op notice (default 30 000). */
  opTimeoutMs?: number
}
export type VerifyOutput = VerifyReport

export interface CheckpointParams {
  /** Also prove this entry's inclusion in the accumulator (RFC 9162). */
  inclusion?: number
  /** Also prove the accumulator of this many entries is a prefix of the checkpoint's. */
  consistency?: number
  /** The tree size to prove against (default: the checkpoint's). */
  size?: number
  /** Also take a state checkpoint at the seal and keep it in the directory (docs/protocol.md §12). */
  state?: boolean
  /** Entries per chunk of that state checkpoint. */
  chunkSize?: number
}
export interface CheckpointOutput {
  checkpoint: LogCheckpoint
  proof?: AccumulatorProof
  /** The state checkpoint taken, where it was written, and whether it is sealed (a confidential database, docs/protocol.md §17.8). */
  state?: { length: number; keys: number; chunks: number; chunkSize: number; path: string; sealed: boolean }
}

export interface PreviewParams {
  method: string
  params?: Json
  /** The local oplog to call as (default: the first one). */
  as?: string
}
export type PreviewOutput = Preview

export interface MethodMap {
  call: { params: CallParams; result: CallOutput }
  preview: { params: PreviewParams; result: PreviewOutput }
  outcomes: { params: OutcomesParams; result: OutcomesOutput }
  get: { params: GetParams; result: GetOutput }
  list: { params: ListParams; result: ListOutput }
  history: { params: HistoryParams; result: HistoryOutput }
  info: { params: Record<string, never>; result: InfoOutput }
  source: { params: Record<string, never>; result: SourceOutput }
  verify: { params: VerifyParams; result: VerifyOutput }
  checkpoint: { params: CheckpointParams; result: CheckpointOutput }
}

export type MethodName = keyof MethodMap

export interface MethodContext {
  server: ServerInfo | null
}

type Handler = (db: Database, params: Record<string, unknown>, ctx: MethodContext) => Promise<unknown>

const handlers: { [M in MethodName]: Handler } = {
  async call(db, p) {
    const method = str(p, 'method', true)
    const params = p.params === undefined ? {} : (p.params as Json)
    const as = str(p, 'as')
    const receipt = bool(p, 'receipt') ?? false
    const wait = (bool(p, 'wait') ?? true) || receipt
    const called = await db.call(method, params, as === undefined ? {} : { as })
    const outcomes = wait ? await called.whenProcessed() : []
    const out: CallOutput = {
      method,
      response: called.response,
      ops: called.ops.map((ref, i) => {
        const r = outcomes[i]
        const outcome = r ? { index: r.index, success: r.success, error: r.error, ts: r.ts, metadata: r.metadata, changes: r.changes } : null
        return { origin: ref.origin, seq: ref.seq, op: ref.op, outcome }
      }),
    }
    if (receipt && called.ops.length > 0) out.receipt = await db.receipt(called.ops)
    return out
  },

  async outcomes(db, p) {
    if (!Array.isArray(p.ops) || p.ops.length === 0) throw invalid('"ops" must be a non-empty array of {origin, seq}')
    const refs = p.ops.map((o: unknown) => {
      const ref = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>
      const origin = str(ref, 'origin', true)
      if (!isPubkeyHex(origin)) throw invalid(`"${origin}" is not an oplog's public key`)
      return { origin, seq: int(ref, 'seq', 0) ?? -1, op: null }
    })
    if (refs.some((r) => r.seq < 0)) throw invalid('every op needs a "seq"')
    const receipt = bool(p, 'receipt') ?? false
    const wait = (bool(p, 'wait') ?? true) || receipt
    const known = wait ? refs : refs.filter((r) => db.isProcessed(r))
    const results = await db.whenProcessed(known)
    const outcomes = refs.map((r) => {
      const found = results.find((x) => x.origin === r.origin && x.seq === r.seq)
      return found ? { index: found.index, success: found.success, error: found.error, ts: found.ts, metadata: found.metadata, changes: found.changes } : null
    })
    const out: OutcomesOutput = { executor: db.runtime !== null, outcomes }
    if (receipt) out.receipt = await db.receipt(refs)
    return out
  },

  async get(db, p) {
    const key = str(p, 'key', true)
    await db.settled()
    if (bool(p, 'proof')) {
      const read = await db.get(key, { proof: true })
      return { key, found: read.found, value: read.value, proof: read.proof } satisfies GetOutput
    }
    const entry = db.get(key)
    return { key, found: entry !== null, value: entry?.value ?? null } satisfies GetOutput
  },

  async list(db, p) {
    const prefix = str(p, 'prefix') ?? ''
    const limit = int(p, 'limit', 0)
    const reverse = bool(p, 'reverse')
    await db.settled()
    const entries = db.list(prefix, { ...(limit === undefined ? {} : { limit }), ...(reverse ? { reverse } : {}) })
    return { prefix, entries } satisfies ListOutput
  },

  async history(db, p) {
    const log = str(p, 'log') ?? 'index'
    const start = int(p, 'start')
    const end = int(p, 'end')
    await db.settled()
    const target = await resolveLog(db, log)
    const items = await db.history({ log: target.log, ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) })
    return { ...target, items: items.map((item) => toJson(item)) } satisfies HistoryOutput
  },

  async info(db, _p, ctx) {
    await db.settled()
    return { ...(await db.info()), server: ctx.server } satisfies InfoOutput
  },

  async verify(db, p) {
    // Only the directory's own checkpoint: a client must not make the server write elsewhere.
    const checkpoint = bool(p, 'checkpoint') ?? false
    const fraudProof = bool(p, 'fraudProof') ?? false
    const sealTimeoutMs = int(p, 'sealTimeoutMs', 0)
    const opTimeoutMs = int(p, 'opTimeoutMs', 0)
    await db.settled()
    return db.verify({
      checkpointPath: checkpoint ? defaultCheckpointPath(db.dir) : null,
      fraudProof,
      ...(sealTimeoutMs === undefined ? {} : { sealTimeoutMs }),
      ...(opTimeoutMs === undefined ? {} : { opTimeoutMs }),
    })
  },

  async preview(db, p) {
    const method = str(p, 'method', true)
    const params = p.params === undefined ? {} : (p.params as Json)
    const as = str(p, 'as')
    await db.settled()
    return db.preview(method, params, as === undefined ? {} : { as })
  },

  async checkpoint(db, p) {
    const inclusion = int(p, 'inclusion', 0)
    const consistency = int(p, 'consistency', 0)
    const size = int(p, 'size', 0)
    if (inclusion !== undefined && consistency !== undefined) throw invalid('ask for an inclusion or a consistency proof, not both')
    const state = bool(p, 'state') ?? false
    const chunkSize = int(p, 'chunkSize', 1)
    await db.settled()
    // Taken first: the log checkpoint printed is then the seal the state checkpoint is at, or a later one.
    const written = state ? await db.writeStateCheckpoint(chunkSize) : null
    const checkpoint = await db.checkpoint()
    const at = size ?? checkpoint.size
    const out: CheckpointOutput = { checkpoint }
    if (inclusion !== undefined) out.proof = await db.accumulatorProof({ inclusion, size: at })
    if (consistency !== undefined) out.proof = await db.accumulatorProof({ consistency, size: at })
    if (written) {
      const { length, keys, chunks, chunkSize: size } = written.manifest
      out.state = { length, keys, chunks, chunkSize: size, path: written.path, sealed: written.sealed }
    }
    return out
  },

  async source(db) {
    const source = db.source
    return { bytes: Buffer.byteLength(source), source } satisfies SourceOutput
  },
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(handlers, name)
}

/** Runs one method against an open database; the result is plain JSON (bytes as hex). */
export async function runMethod<M extends MethodName>(
  db: Database,
  method: M,
  params: unknown,
  ctx: MethodContext,
): Promise<MethodMap[M]['result']> {
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    throw invalid(`params of "${method}" must be an object`)
  }
  const result = await handlers[method](db, (params ?? {}) as Record<string, unknown>, ctx)
  return toJson(result) as unknown as MethodMap[M]['result']
}

async function resolveLog(db: Database, log: string): Promise<Omit<HistoryOutput, 'items'>> {
  if (log === 'index' || log === db.key) return { log: 'index', kind: 'index', name: null }
  const oplogs = db.oplogs
  const local = oplogs[log]
  if (local !== undefined) return { log: local, kind: 'oplog', name: log }
  const names = Object.keys(oplogs)
  if (isPubkeyHex(log)) {
    const name = names.find((n) => oplogs[n] === log) ?? null
    if (name === null && !(await db.info()).inputs.includes(log)) {
      throw new UsageError('UNKNOWN_LOG', `oplog ${log} is neither a local oplog nor an input of this database`)
    }
    return { log, kind: 'oplog', name }
  }
  throw new UsageError(
    'UNKNOWN_LOG',
    `no oplog named "${log}" (give "index", a local oplog name${names.length ? ` (${names.join(', ')})` : ''} or an input's public key)`,
  )
}

function invalid(message: string): UsageError {
  return new UsageError('INVALID_PARAMS', message)
}

function str(p: Record<string, unknown>, name: string, required: true): string
function str(p: Record<string, unknown>, name: string): string | undefined
function str(p: Record<string, unknown>, name: string, required = false): string | undefined {
  const v = p[name]
  if (v === undefined && !required) return undefined
  if (typeof v !== 'string') throw invalid(`"${name}" must be a string`)
  return v
}

function bool(p: Record<string, unknown>, name: string): boolean | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw invalid(`"${name}" must be true or false`)
  return v
}

function int(p: Record<string, unknown>, name: string, min = -Number.MAX_SAFE_INTEGER): number | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw invalid(`"${name}" must be a whole number${min === 0 ? ' >= 0' : ''}`)
  }
  return v
}
