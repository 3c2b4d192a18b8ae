/// <reference lib="dom" />
// Reads the JSON API of the server that served the page. Shapes are the ones docs/http.md documents;
// the explorer reads only the fields it shows.

export interface Info {
  key: string
  protocol: string
  length: number
  executor: boolean
  inputs: string[]
  oplogs: { name: string; pubkey: string; length: number; input: boolean }[]
  contract: { bytes: number; methods: string[] }
  keys: number
  stateRoot: string
}

export interface Ack {
  origin: string
  seq: number
  ts: number
  success: boolean
  error: string | null
  metadata: unknown
}

export interface OpEntry {
  type: 'op'
  ack: Ack
  changes: { type: string; key: string; value?: unknown }[]
  stateRoot: string
}

export interface SealEntry {
  type: 'seal'
  length: number
  treeHash: string
  stateRoot: string
  signature: string
}

/** header, contract, input, genesis and any later kind: shown field by field. */
export interface OtherEntry {
  type: string
  [field: string]: unknown
}

export type IndexEntry = OpEntry | SealEntry | OtherEntry

export const isOp = (e: IndexEntry): e is OpEntry => e.type === 'op'
export const isSeal = (e: IndexEntry): e is SealEntry => e.type === 'seal'

export interface IndexItem {
  seq: number
  path: string
  entry: IndexEntry
}

export interface OpItem {
  seq: number
  op: unknown
}

export interface Verification {
  following: boolean
  valid: boolean | null
  verifiedLength: number
  indexLength: number
  breach: BreachNotice | null
  notices: { kind: string; from: number; message: string }[]
  error: { code: string; message: string } | null
}

export interface BreachNotice {
  class: string
  seq: number
  message: string
  path?: string | null
  expected?: unknown
  found?: unknown
  [field: string]: unknown
}

export interface FraudProofRecord {
  n: number
  class: string
  seq: number
  proof: unknown
  reason: string | null
}

export interface StateProofFile {
  format: string
  kind: 'state'
  key: string
  anchor: { signer: string; seal: string }
  proof: { type: string; key: string; nodes: unknown[] }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } })
  const body = await res.json()
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'HTTP_' + res.status, body?.error?.message ?? res.statusText)
  return body as T
}

export const api = {
  info: () => getJson<Info>('/v1/info'),
  index: (start: number, end?: number) => getJson<{ items: IndexItem[] }>(`/v1/history?start=${start}${end === undefined ? '' : `&end=${end}`}&limit=1000`),
  oplog: (log: string, start: number, end?: number) =>
    getJson<{ name: string | null; items: OpItem[] }>(`/v1/history?log=${encodeURIComponent(log)}&start=${start}${end === undefined ? '' : `&end=${end}`}&limit=1000`),
  list: (prefix: string, after?: string) =>
    getJson<{ entries: { key: string; value: unknown }[]; next: string | null }>(`/v1/state?prefix=${encodeURIComponent(prefix)}&limit=50${after ? `&after=${encodeURIComponent(after)}` : ''}`),
  proof: (key: string) => getJson<{ key: string; found: boolean; value: unknown; proof: StateProofFile }>(`/v1/state/${encodeURIComponent(key)}?proof=true`),
  fraudProofs: () => getJson<{ fraudProofs: FraudProofRecord[] }>('/v1/fraud-proofs'),
}
