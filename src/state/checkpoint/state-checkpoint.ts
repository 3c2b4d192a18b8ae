// State checkpoints (docs/protocol.md §12): the contract state at a seal, in chunks a replica can
// check one at a time against that seal's state root, plus the oplog positions the seal commits
// to. With one, a new replica starts at the seal instead of genesis: it checks the checkpoint
// (one signature, one range proof per chunk) and verifies only the entries after it.
//
// A chunk is a range proof (§7.5) of the listing `list('', {gt: previous chunk's last key, limit})`:
// every chunk but the last is a full page of `chunkSize` entries, and the last one has no limit, so
// the chunks together prove every key of the state, in order, with nothing left out or added.
// Browser-safe: no Node imports.

import { fromHex, toHex } from '../../codec/hash.js'
import { decodeEntry, encodeEntry, type SealEntry } from '../../codec/messages.js'
import { CheckpointError } from '../../errors.js'
import { isSealedManifest, openSealedManifest, type CheckpointKeys } from '../../confidential/sealed-checkpoint.js'
import { positionsHash } from '../../log/positions.js'
import { keyOfSigner, sealSignedBy } from '../../log/seal.js'
import type { StateEntry } from '../../vm/types.js'
import { AuthMap } from '../auth/auth-map.js'
import type { RangeProof } from '../auth/proof-types.js'
import { proveRange } from '../auth/prove.js'
import { verifyRange } from '../auth/verify.js'
import type { IndexState } from '../index-state.js'

export const STATE_CHECKPOINT_FORMAT = 'glassbox-state/1'

/** Entries per chunk unless asked otherwise: a chunk of small values is some 100-200 KB of JSON. */
export const DEFAULT_CHUNK_SIZE = 1024

export interface StateCheckpointManifest {
  format: typeof STATE_CHECKPOINT_FORMAT
  /** The database key (hex). */
  database: string
  /** Entries covered: the state is the one after entries 0..length-1; the seal sits at `length`. */
  length: number
  /** The index log signer's public key (hex); the database key is derived from it. */
  signer: string
  /** The seal entry's canonical bytes (hex), as the index log holds them at position `length`. */
  seal: string
  /** Oplog (hex key) -> last seq acknowledged before the seal; its hash is the seal's `positions`. */
  positions: Record<string, number>
  /** State entries in all. */
  keys: number
  chunkSize: number
  chunks: number
}

/** One chunk: its number and the range proof that carries its entries. */
export interface StateChunk {
  index: number
  proof: RangeProof
}

export interface StateCheckpoint {
  manifest: StateCheckpointManifest
  chunks: StateChunk[]
}

export { CheckpointError }

/**
 * The checkpoint of `view`, which must stand right after a seal (the state and positions that seal
 * signs). Synchronous, so that the state cannot move while it is read.
 */
export function makeStateCheckpoint(view: IndexState, key: Uint8Array, signer: Uint8Array, chunkSize = DEFAULT_CHUNK_SIZE): StateCheckpoint {
  const last = view.lastSeal
  if (!last || last.position !== view.length - 1) throw new CheckpointError('CHECKPOINT_NOT_SEALED', 'a state checkpoint is taken right after a seal: the view has entries after its last seal')
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new CheckpointError('CHECKPOINT_CHUNK_SIZE', `the chunk size must be a whole number >= 1, not ${chunkSize}`)
  const map = view.state
  const chunks: StateChunk[] = []
  let gt: string | undefined
  let listed = 0
  for (;;) {
    const lastChunk = map.size - listed <= chunkSize
    const query = { prefix: '', ...(gt === undefined ? {} : { gt }), ...(lastChunk ? {} : { limit: chunkSize }) }
    chunks.push({ index: chunks.length, proof: proveRange(map, query) })
    if (lastChunk) break
    const page = map.list('', { ...(gt === undefined ? {} : { gt }), limit: chunkSize })
    listed += page.length
    gt = page[page.length - 1].key
  }
  return {
    manifest: {
      format: STATE_CHECKPOINT_FORMAT,
      database: toHex(key),
      length: last.seal.length,
      signer: toHex(signer),
      seal: toHex(encodeEntry(last.seal)),
      positions: Object.fromEntries([...view.lastSeq].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      keys: map.size,
      chunkSize,
      chunks: chunks.length,
    },
    chunks,
  }
}

/** A manifest checked against the database key: its seal, signed by the index log's signer. */
export interface CheckedManifest {
  manifest: StateCheckpointManifest
  seal: SealEntry
  sealBytes: Uint8Array
  positions: Map<string, number>
}

const HEX32 = /^[0-9a-f]{64}$/
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

/** Checks a manifest's shape, its seal's signature under `database` and its positions against the seal. */
export function checkManifest(value: unknown, database: string): CheckedManifest {
  const bad = (why: string) => new CheckpointError('CHECKPOINT_INVALID', `the state checkpoint is refused: ${why}`)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('its manifest is not an object')
  const m = value as StateCheckpointManifest
  if (m.format !== STATE_CHECKPOINT_FORMAT) throw bad(`its format is ${JSON.stringify(m.format)}, not ${STATE_CHECKPOINT_FORMAT}`)
  if (m.database !== database) throw bad(`it is of database ${String(m.database).slice(0, 16)}…, not ${database.slice(0, 16)}…`)
  if (typeof m.signer !== 'string' || !HEX32.test(m.signer) || toHex(keyOfSigner(fromHex(m.signer))) !== database) throw bad('its signer is not the database key\'s')
  for (const k of ['length', 'keys', 'chunks'] as const) if (!count(m[k])) throw bad(`${k} must be a whole number >= 0`)
  if (!count(m.chunkSize) || m.chunkSize < 1) throw bad('chunkSize must be a whole number >= 1')
  if (m.chunks !== Math.max(1, Math.ceil(m.keys / m.chunkSize))) throw bad(`${m.keys} keys in chunks of ${m.chunkSize} are not ${m.chunks} chunks`)
  if (typeof m.seal !== 'string' || !/^([0-9a-f]{2})+$/.test(m.seal)) throw bad('its seal is not hex')
  const sealBytes = fromHex(m.seal)
  let seal: SealEntry
  try {
    const entry = decodeEntry(sealBytes)
    if (entry.type !== 'seal') throw new Error(`a ${entry.type} entry`)
    seal = entry
  } catch (err) {
    throw bad(`its seal does not decode (${(err as Error).message})`)
  }
  if (seal.length !== m.length) throw bad(`its seal covers ${seal.length} entries, not ${m.length}`)
  if (!sealSignedBy(seal, fromHex(database), fromHex(m.signer))) throw bad('its seal is not signed by the index log key')
  if (typeof m.positions !== 'object' || m.positions === null || Array.isArray(m.positions)) throw bad('positions must be an object')
  const positions = new Map<string, number>()
  for (const [origin, seq] of Object.entries(m.positions)) {
    if (!HEX32.test(origin) || !count(seq)) throw bad('positions must map oplog keys (hex) to whole numbers')
    positions.set(origin, seq)
  }
  if (toHex(positionsHash(positions)) !== toHex(seal.positions)) throw bad('its oplog positions are not the ones its seal signs')
  return { manifest: m, seal, sealBytes, positions }
}

/**
 * Checks chunk `index` against the seal's state root, following the chunk before it (whose last
 * key was `after`); returns its entries.
 */
export function checkChunk(checked: CheckedManifest, index: number, value: unknown, after: string | undefined): StateEntry[] {
  const { manifest: m, seal } = checked
  const bad = (why: string) => new CheckpointError('CHECKPOINT_INVALID', `chunk ${index} of the state checkpoint at ${m.length} is refused: ${why}`)
  const chunk = value as StateChunk
  if (typeof chunk !== 'object' || chunk === null || chunk.index !== index || typeof chunk.proof !== 'object' || chunk.proof === null) throw bad('it is not that chunk')
  const last = index === m.chunks - 1
  const p = chunk.proof
  if (p.prefix !== '' || p.gt !== after || p.lt !== undefined || p.reverse !== undefined || p.limit !== (last ? undefined : m.chunkSize)) {
    throw bad('its proof is not of the listing the chunk stands for')
  }
  const result = verifyRange(p, seal.stateRoot)
  if (!result.valid) throw bad(`its proof does not hold at the seal's state root (${result.reason})`)
  const expected = last ? m.keys - index * m.chunkSize : m.chunkSize
  if (result.entries.length !== expected) throw bad(`it holds ${result.entries.length} entries, not ${expected}`)
  return result.entries
}

export interface OpenCheckpointOptions {
  /** Called as chunks are checked. */
  onChunk?: (done: number, total: number) => void
  /** A confidential database's epoch keys: a sealed checkpoint (§17.8) is opened with them. */
  keys?: CheckpointKeys
}

/**
 * Checks a whole checkpoint and builds its state; the map's root is the seal's state root. Chunks
 * come from `chunk(i)`, in order, each checked before the next is asked for. A sealed checkpoint is
 * opened part by part with `opts.keys`, then checked as one in the clear.
 */
export async function openStateCheckpoint(manifest: unknown, database: string, chunk: (index: number) => Promise<unknown>, opts: OpenCheckpointOptions = {}): Promise<VerifiedStateCheckpoint> {
  let unseal = (value: unknown, _index: number): unknown => value
  if (isSealedManifest(manifest)) {
    if (!opts.keys) throw new CheckpointError('CHECKPOINT_SEALED', `the state checkpoint at ${manifest.length} is sealed for the members of a confidential database: open it with a member's key`)
    const opened = await openSealedManifest(manifest, database, opts.keys)
    manifest = opened.manifest
    unseal = opened.chunk
  }
  const checked = checkManifest(manifest, database)
  const entries: StateEntry[] = []
  let after: string | undefined
  for (let i = 0; i < checked.manifest.chunks; i++) {
    const got = checkChunk(checked, i, unseal(await chunk(i), i), after)
    for (const e of got) entries.push(e)
    if (got.length > 0) after = got[got.length - 1].key
    opts.onChunk?.(i + 1, checked.manifest.chunks)
  }
  const state = AuthMap.fromSorted(entries)
  // The chunks' proofs already hold at the root; the rebuilt map must agree, or the code is wrong.
  if (toHex(state.root()) !== toHex(checked.seal.stateRoot)) throw new CheckpointError('CHECKPOINT_INVALID', `the state checkpoint at ${checked.manifest.length} does not rebuild its seal's state root`)
  return { ...checked, state }
}

/** A checkpoint checked whole: its seal, positions and the state at the seal. */
export interface VerifiedStateCheckpoint extends CheckedManifest {
  state: AuthMap
}
