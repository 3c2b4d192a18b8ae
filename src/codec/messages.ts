// The structures Glassbox writes to its logs, with strict schema checks on the way back in.
// docs/protocol.md ("Index log" and "Oplogs") is the specification; the field names here are its words.

import { DecodeError } from '../errors.js'
import type { Change, Json } from '../vm/types.js'
import { decode, encode, type Canonical } from './canonical.js'
import { isPubkeyHex } from './hash.js'

export const PROTOCOL = 'glassbox/3'

/** The executor's acknowledgement of one op (seed 001 §3.3). */
export interface Ack {
  /** The oplog's public key, hex. */
  origin: string
  /** The op's position in its oplog. */
  seq: number
  /** The oplog's length when the executor read the op (> seq). */
  oplogLength: number
  /** The oplog's Merkle tree hash at oplogLength: binds the ack to the signed op. */
  oplogHash: Uint8Array
  /** Executor time, ms since the epoch. */
  ts: number
  /** What the contract's process() returned, or null. */
  metadata: Json
  success: boolean
  error: string | null
}

/**
 * A confidential database's settings, in its header (docs/protocol.md §17.1): the keys log holding
 * the epoch keys, the readers every epoch is sealed to besides the executor and the inputs, and how
 * many entries an epoch lasts at most (0: until the members change).
 */
export type ConfidentialSettings = {
  keys: string
  readers: string[]
  rotateEvery: number
  /** The genesis contract entry is stored in the clear, for anyone to read (docs/protocol.md §17.1). */
  publicContract?: true
}
export type HeaderEntry = { type: 'header'; protocol: string; runtime: string; confidential?: ConfidentialSettings }
export type ContractEntry = { type: 'contract'; code: string }
export type InputEntry = { type: 'input'; pubkey: string }
export type GenesisEntry = { type: 'genesis' }
/**
 * An op's entry: its ack, the changes it made in order, and the root of the authenticated state
 * after them (docs/protocol.md §7), so that each entry is a claim `prev root --op--> stateRoot`.
 */
export type OpEntry = { type: 'op'; ack: Ack; changes: Change[]; stateRoot: Uint8Array }
/**
 * The last entry of every block (docs/protocol.md §8.2): the executor's signature over the index
 * log's tree hash at `length` (every entry before this one) and the state root after them.
 */
export type SealEntry = {
  type: 'seal'
  length: number
  treeHash: Uint8Array
  stateRoot: Uint8Array
  positions: Uint8Array
  peaks: Uint8Array[]
  signature: Uint8Array
  /**
   * Present on the seal a standby writes when it takes over (docs/protocol.md §18): the swarm key of
   * the instance that holds the executor's key pair and writes the log from here on.
   */
  handover?: Uint8Array
}
export type IndexEntry = HeaderEntry | ContractEntry | InputEntry | GenesisEntry | OpEntry | SealEntry

export const SYS = {
  source: '.sys/contract/source',
  inputsPrefix: '.sys/inputs/',
  acksPrefix: '.sys/acks/',
  genesis: '.sys/acks/genesis',
  sealsPrefix: '.sys/seals/',
} as const

export function inputKey(pubkey: string): string {
  return SYS.inputsPrefix + pubkey
}

export function ackKey(origin: string, seq: number): string {
  return `${SYS.acksPrefix}${origin}/${seq}`
}

/** The path an entry has in the layout of seed 001 §3.1, for display and notices. */
export function entryPath(entry: IndexEntry): string {
  switch (entry.type) {
    case 'header':
      return '.sys/header'
    case 'contract':
      return SYS.source
    case 'input':
      return inputKey(entry.pubkey)
    case 'genesis':
      return SYS.genesis
    case 'op':
      return ackKey(entry.ack.origin, entry.ack.seq)
    case 'seal':
      return `${SYS.sealsPrefix}${entry.length}`
  }
}

export function encodeEntry(entry: IndexEntry): Uint8Array {
  return encode(entry)
}

export function encodeOp(op: Json): Uint8Array {
  return encode(op)
}

export function decodeOp(bytes: Uint8Array): Json {
  const value = decode(bytes)
  if (!isJson(value)) throw new DecodeError('DECODE_SCHEMA', 'op holds bytes, which ops may not')
  return value
}

export function decodeEntry(bytes: Uint8Array): IndexEntry {
  const v = decode(bytes)
  const m = expectMap(v, 'entry')
  switch (m.type) {
    case 'header':
      if ('confidential' in m) {
        fields(m, 'header entry', ['type', 'protocol', 'runtime', 'confidential'])
        return { type: 'header', protocol: str(m.protocol, 'protocol'), runtime: str(m.runtime, 'runtime'), confidential: decodeConfidential(m.confidential) }
      }
      fields(m, 'header entry', ['type', 'protocol', 'runtime'])
      return { type: 'header', protocol: str(m.protocol, 'protocol'), runtime: str(m.runtime, 'runtime') }
    case 'contract':
      fields(m, 'contract entry', ['type', 'code'])
      return { type: 'contract', code: str(m.code, 'code') }
    case 'input':
      fields(m, 'input entry', ['type', 'pubkey'])
      return { type: 'input', pubkey: pubkey(m.pubkey, 'pubkey') }
    case 'genesis':
      fields(m, 'genesis entry', ['type'])
      return { type: 'genesis' }
    case 'op':
      fields(m, 'op entry', ['type', 'ack', 'changes', 'stateRoot'])
      if (!(m.stateRoot instanceof Uint8Array) || m.stateRoot.length !== 32) throw schema('stateRoot must be 32 bytes')
      return { type: 'op', ack: decodeAck(m.ack), changes: decodeChanges(m.changes), stateRoot: m.stateRoot }
    case 'seal':
      fields(m, 'seal entry', ['type', 'length', 'treeHash', 'stateRoot', 'positions', 'peaks', 'signature', ...('handover' in m ? ['handover'] : [])])
      if (!Array.isArray(m.peaks)) throw schema('peaks must be an array')
      return {
        type: 'seal',
        length: uint(m.length, 'length'),
        treeHash: fixedBytes(m.treeHash, 32, 'treeHash'),
        stateRoot: fixedBytes(m.stateRoot, 32, 'stateRoot'),
        positions: fixedBytes(m.positions, 32, 'positions'),
        peaks: m.peaks.map((p) => fixedBytes(p, 32, 'a peak')),
        signature: fixedBytes(m.signature, 64, 'signature'),
        ...('handover' in m ? { handover: fixedBytes(m.handover, 32, 'handover') } : {}),
      }
    default:
      throw schema(`unknown entry type ${JSON.stringify(m.type)}`)
  }
}

function decodeConfidential(v: Canonical): ConfidentialSettings {
  const m = expectMap(v, 'header.confidential')
  fields(m, 'header.confidential', ['keys', 'readers', 'rotateEvery', ...('publicContract' in m ? ['publicContract'] : [])])
  if ('publicContract' in m && m.publicContract !== true) throw schema('header.confidential.publicContract is true when present')
  if (!Array.isArray(m.readers)) throw schema('header.confidential.readers must be an array')
  const readers = m.readers.map((r, i) => pubkey(r, `header.confidential.readers[${i}]`))
  if (readers.some((r, i) => i > 0 && r <= readers[i - 1])) throw schema('header.confidential.readers must be sorted and distinct')
  return { keys: pubkey(m.keys, 'header.confidential.keys'), readers, rotateEvery: uint(m.rotateEvery, 'header.confidential.rotateEvery'), ...('publicContract' in m ? { publicContract: true as const } : {}) }
}

function decodeAck(v: Canonical): Ack {
  const m = expectMap(v, 'ack')
  fields(m, 'ack', ['origin', 'seq', 'oplogLength', 'oplogHash', 'ts', 'metadata', 'success', 'error'])
  if (!(m.oplogHash instanceof Uint8Array) || m.oplogHash.length !== 32) throw schema('ack.oplogHash must be 32 bytes')
  if (typeof m.success !== 'boolean') throw schema('ack.success must be a boolean')
  if (m.error !== null && typeof m.error !== 'string') throw schema('ack.error must be a string or null')
  if (m.success === (m.error !== null)) throw schema('ack.error must be set exactly when ack.success is false')
  if (!isJson(m.metadata)) throw schema('ack.metadata must be JSON')
  const seq = uint(m.seq, 'ack.seq')
  const oplogLength = uint(m.oplogLength, 'ack.oplogLength')
  if (oplogLength <= seq) throw schema('ack.oplogLength must exceed ack.seq')
  return {
    origin: pubkey(m.origin, 'ack.origin'),
    seq,
    oplogLength,
    oplogHash: m.oplogHash,
    ts: uint(m.ts, 'ack.ts'),
    metadata: m.metadata,
    success: m.success,
    error: m.error,
  }
}

function decodeChanges(v: Canonical): Change[] {
  if (!Array.isArray(v)) throw schema('changes must be an array')
  return v.map((c, i) => {
    const m = expectMap(c, `changes[${i}]`)
    const key = str(m.key, `changes[${i}].key`)
    if (m.type === 'put') {
      fields(m, `changes[${i}]`, ['type', 'key', 'value'])
      if (!isJson(m.value)) throw schema(`changes[${i}].value must be JSON`)
      return { type: 'put', key, value: m.value }
    }
    if (m.type === 'del') {
      fields(m, `changes[${i}]`, ['type', 'key'])
      return { type: 'del', key }
    }
    throw schema(`changes[${i}].type must be "put" or "del"`)
  })
}

export function isJson(v: Canonical): v is Json {
  if (v === null || typeof v !== 'object') return true
  if (v instanceof Uint8Array) return false
  if (Array.isArray(v)) return v.every(isJson)
  return Object.values(v).every(isJson)
}

function schema(message: string): DecodeError {
  return new DecodeError('DECODE_SCHEMA', message)
}

function expectMap(v: Canonical, what: string): { [key: string]: Canonical } {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    throw schema(`${what} must be a map`)
  }
  return v
}

function fields(m: { [key: string]: Canonical }, what: string, expected: string[]): void {
  const keys = Object.keys(m)
  for (const k of expected) if (!(k in m)) throw schema(`${what} lacks field "${k}"`)
  if (keys.length !== expected.length) {
    const extra = keys.filter((k) => !expected.includes(k))
    throw schema(`${what} has unexpected field(s) ${extra.join(', ')}`)
  }
}

function str(v: Canonical, what: string): string {
  if (typeof v !== 'string') throw schema(`${what} must be a string`)
  return v
}

function fixedBytes(v: Canonical, size: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== size) throw schema(`${what} must be ${size} bytes`)
  return v
}

function uint(v: Canonical, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw schema(`${what} must be a whole number >= 0`)
  return v
}

function pubkey(v: Canonical, what: string): string {
  if (!isPubkeyHex(v)) throw schema(`${what} must be 64 lowercase hex characters`)
  return v
}
