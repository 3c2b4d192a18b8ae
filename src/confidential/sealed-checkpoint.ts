// Sealed state checkpoints (docs/protocol.md §17.8): a confidential database's checkpoint, with its
// manifest and each chunk sealed in an envelope (§17.2) under the epoch in force at its length. Any
// peer can keep and serve the files; only a member holding that epoch's key opens them, and what it
// opens is then checked against the seal exactly as a checkpoint in the clear (§12.2).
//
// Each part's "log key" is bound to the database and the length, and its nonce is derived from the
// part's bytes, so a part cannot be moved to another checkpoint and two members sealing one checkpoint
// write the same files.
//
// Browser-safe: everything goes through codec/primitives.

import { blake2bKeyed } from '../codec/primitives.js'
import { fromHex, hash, toHex } from '../codec/hash.js'
import { CheckpointError } from '../errors.js'
import { envelopeHead, openBytes, sealBytes } from './envelope.js'

export const SEALED_STATE_FORMAT = 'glassbox-sealed-state/1'

const utf8 = new TextEncoder()
const PART_KEY_CONTEXT = utf8.encode('glassbox/state-checkpoint')
const NONCE_CONTEXT = utf8.encode('glassbox/state-checkpoint-nonce')
const NONCE_BYTES = 24

/** The manifest of a sealed checkpoint: what a peer needs to serve and fetch it, and the sealed manifest. */
export interface SealedManifest {
  format: typeof SEALED_STATE_FORMAT
  database: string
  length: number
  epoch: number
  chunks: number
  /** The envelope (hex) of the checkpoint's manifest as JSON text (§12.1). */
  sealed: string
}

/** One sealed chunk: its number and the envelope (hex) of the chunk as JSON text. */
export interface SealedChunk {
  index: number
  sealed: string
}

/** The clear checkpoint's parts, as sealing needs them. */
export interface ClearCheckpoint {
  manifest: { database: string; length: number; chunks: number }
  chunks: { index: number }[]
}

/** The epoch keys a sealer or opener needs: a keyring (`src/confidential/keyring.ts`) is one. */
export interface CheckpointKeys {
  /** Brings the epochs up to date (a replica's keys log may be behind). */
  refresh(): Promise<void>
  /** The epoch in force at index position `position`. */
  epochAt(position: number): number
  /** That epoch's key, or a KeyringError when this directory does not hold it. */
  keyOf(epoch: number): Promise<Uint8Array>
}

/** The "log key" of a sealed checkpoint's parts: BLAKE2b-256("glassbox/state-checkpoint" ‖ database ‖ length, 8 bytes). */
export function checkpointPartKey(database: string, length: number): Uint8Array {
  const at = new Uint8Array(8)
  new DataView(at.buffer).setBigUint64(0, BigInt(length))
  const db = fromHex(database)
  const bytes = new Uint8Array(PART_KEY_CONTEXT.length + db.length + 8)
  bytes.set(PART_KEY_CONTEXT)
  bytes.set(db, PART_KEY_CONTEXT.length)
  bytes.set(at, PART_KEY_CONTEXT.length + db.length)
  return hash(bytes)
}

/** A part's nonce: BLAKE2b-192(key = epoch key, "glassbox/state-checkpoint-nonce" ‖ part key ‖ plaintext). */
export function checkpointPartNonce(epochKey: Uint8Array, partKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return blake2bKeyed(NONCE_BYTES, epochKey, [NONCE_CONTEXT, partKey, plaintext])
}

function sealPart(value: unknown, partKey: Uint8Array, epoch: number, epochKey: Uint8Array): string {
  const plaintext = utf8.encode(JSON.stringify(value))
  return toHex(sealBytes(plaintext, partKey, { epoch, epochKey, nonce: checkpointPartNonce(epochKey, partKey, plaintext) }))
}

/** Whether a manifest, as served or kept, is of a sealed checkpoint. */
export function isSealedManifest(value: unknown): value is SealedManifest {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === SEALED_STATE_FORMAT
}

/** Seals a checkpoint under the epoch in force at its length. */
export async function sealStateCheckpoint(cp: ClearCheckpoint, keys: CheckpointKeys): Promise<{ manifest: SealedManifest; chunks: SealedChunk[] }> {
  const { database, length, chunks } = cp.manifest
  await keys.refresh()
  const epoch = keys.epochAt(length)
  const epochKey = await keys.keyOf(epoch)
  const partKey = checkpointPartKey(database, length)
  return {
    manifest: { format: SEALED_STATE_FORMAT, database, length, epoch, chunks, sealed: sealPart(cp.manifest, partKey, epoch, epochKey) },
    chunks: cp.chunks.map((c) => ({ index: c.index, sealed: sealPart(c, partKey, epoch, epochKey) })),
  }
}

/** What opens the parts of one sealed checkpoint, once its manifest is opened. */
export interface OpenedCheckpoint {
  /** The checkpoint's manifest (§12.1), to be checked against its seal. */
  manifest: unknown
  /** Opens chunk `index` as served; the result is to be checked as a clear chunk. */
  chunk(value: unknown, index: number): unknown
}

const HEX = /^([0-9a-f]{2})+$/
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

/**
 * Opens a sealed checkpoint's manifest for `database` with `keys`. Refused when it is not one, is
 * sealed under another epoch than the one in force at its length, or does not open (CHECKPOINT_SEALED
 * when this directory holds no key of that epoch).
 */
export async function openSealedManifest(value: unknown, database: string, keys: CheckpointKeys): Promise<OpenedCheckpoint> {
  const bad = (why: string) => new CheckpointError('CHECKPOINT_INVALID', `the sealed state checkpoint is refused: ${why}`)
  if (!isSealedManifest(value)) throw bad('its manifest is not a sealed one')
  const m = value
  if (m.database !== database) throw bad(`it is of database ${String(m.database).slice(0, 16)}…, not ${database.slice(0, 16)}…`)
  for (const k of ['length', 'epoch', 'chunks'] as const) if (!count(m[k])) throw bad(`${k} must be a whole number >= 0`)
  await keys.refresh()
  const inForce = keys.epochAt(m.length)
  if (m.epoch !== inForce) throw bad(`it is sealed under epoch ${m.epoch}, not under epoch ${inForce}, the one in force at its length ${m.length}`)
  let epochKey: Uint8Array
  try {
    epochKey = await keys.keyOf(m.epoch)
  } catch (err) {
    throw new CheckpointError('CHECKPOINT_SEALED', `the state checkpoint at ${m.length} is sealed under epoch ${m.epoch}, whose key this directory does not hold (${(err as Error).message})`)
  }
  const partKey = checkpointPartKey(database, m.length)
  const open = (sealed: unknown, what: string): unknown => {
    if (typeof sealed !== 'string' || !HEX.test(sealed)) throw bad(`${what} is not sealed hex`)
    const stored = fromHex(sealed)
    let plaintext: Uint8Array
    try {
      const head = envelopeHead(stored)
      if (!head.sealed || head.epoch !== m.epoch) throw new Error(head.sealed ? `its envelope names epoch ${head.epoch}` : 'its envelope is clear')
      plaintext = openBytes(stored, partKey, epochKey)
    } catch (err) {
      throw bad(`${what} does not open under epoch ${m.epoch}'s key for this checkpoint (${(err as Error).message})`)
    }
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext))
    } catch {
      throw bad(`${what} opens to bytes that are not JSON`)
    }
  }
  const manifest = open(m.sealed, 'its manifest') as { database?: unknown; length?: unknown; chunks?: unknown } | null
  if (typeof manifest !== 'object' || manifest === null || manifest.database !== database || manifest.length !== m.length || manifest.chunks !== m.chunks) {
    throw bad('the sealed manifest does not name the database, length and chunk count of its wrapper')
  }
  return {
    manifest,
    chunk: (served, index) => {
      const c = served as SealedChunk
      if (typeof c !== 'object' || c === null || c.index !== index) throw bad(`chunk ${index} is not that chunk`)
      return open(c.sealed, `chunk ${index}`)
    },
  }
}
