// JSON schemas shared by the routes. fastify validates requests with them and @fastify/swagger
// publishes them in /openapi.json. Responses are serialized with JSON.stringify, not from these
// schemas, so a schema that says less than the data (proofs are described by their top level only)
// never drops a field; the schemas document, they do not filter.

export const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$', description: '32 bytes, lowercase hex' } as const

/** Any JSON value (contract params, responses, state values). */
export const ANY_JSON = { description: 'any JSON value' } as const

export const ERROR_RESPONSE = {
  type: 'object',
  description: 'Every error: a stable code (see docs/http.md) and a message for people',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        ops: {
          type: 'array',
          description: 'Ops already published when the error happened; they stay published and will be processed',
          items: { type: 'object', properties: { origin: HEX64, seq: { type: 'integer' } } },
        },
      },
    },
  },
} as const

/** Error responses every route may give (validation, rate limit, internal). */
export function errors(...statuses: number[]): Record<number, typeof ERROR_RESPONSE> {
  const out: Record<number, typeof ERROR_RESPONSE> = {}
  for (const s of [400, 429, 500, ...statuses]) out[s] = ERROR_RESPONSE
  return out
}

const SIGNED_SEAL = {
  type: 'object',
  description: 'A block seal signed by the executor: the anchor a proof is checked against',
  properties: { signer: { type: 'string' }, seal: { type: 'string' } },
} as const

export const STATE_PROOF_FILE = {
  type: 'object',
  description: 'A state proof file (docs/protocol.md §9.1), checkable offline with `glassbox proof verify`',
  required: ['format', 'kind', 'key', 'anchor', 'proof'],
  properties: {
    format: { type: 'string', enum: ['glassbox-proof/1'] },
    kind: { type: 'string', enum: ['state'] },
    key: HEX64,
    anchor: SIGNED_SEAL,
    proof: { type: 'object', description: 'membership or absence proof at the anchor state root' },
  },
} as const

export const RECEIPT_FILE = {
  type: 'object',
  description: 'A receipt file (docs/protocol.md §9.2), checkable offline with `glassbox proof verify`',
  required: ['format', 'kind', 'key', 'anchor', 'ops'],
  properties: {
    format: { type: 'string', enum: ['glassbox-proof/1'] },
    kind: { type: 'string', enum: ['receipt'] },
    key: HEX64,
    anchor: SIGNED_SEAL,
    ops: {
      type: 'array',
      items: {
        type: 'object',
        description: "The op, its inclusion in its oplog, its index entry and proofs of the keys it changed",
        properties: { op: { type: 'object' }, entry: { type: 'object' }, state: { type: 'array', items: { type: 'object' } } },
      },
    },
  },
} as const

export const FRAUD_PROOF_FILE = {
  type: 'object',
  description: 'A fraud proof (docs/protocol.md, "Fraud proofs and the judge"), checkable offline with `glassbox judge`',
  required: ['format', 'kind', 'class', 'key', 'seq'],
  properties: {
    format: { type: 'string', enum: ['glassbox-proof/1'] },
    kind: { type: 'string', enum: ['fraud'] },
    class: { type: 'string' },
    key: HEX64,
    seq: { type: 'integer' },
    message: { type: 'string' },
  },
} as const

export const BREACH_NOTICE = {
  type: 'object',
  description: 'A breach notice: the offending index entry, its class, what was expected and found, and evidence',
  required: ['class', 'seq', 'message', 'evidence'],
  properties: {
    class: { type: 'string' },
    seq: { type: 'integer' },
    path: { type: ['string', 'null'] },
    message: { type: 'string' },
    expected: ANY_JSON,
    found: ANY_JSON,
    evidence: { type: 'object', properties: { index: HEX64, indexLength: { type: 'integer' }, indexHash: { type: 'string' } } },
  },
} as const

export const CHANGE = {
  type: 'object',
  required: ['type', 'key'],
  properties: { type: { type: 'string', enum: ['put', 'del'] }, key: { type: 'string' }, value: ANY_JSON },
} as const

export const STATE_ENTRY = { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: ANY_JSON } } as const

/** Query flags: fastify coerces "true"/"false" in query strings to booleans. */
export const FLAG = { type: 'boolean' } as const
