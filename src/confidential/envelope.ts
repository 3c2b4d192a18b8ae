// The envelope every block of a confidential database's logs is stored in (docs/protocol.md §17.2):
// 48 bytes, then the block's bytes, encrypted unless the block must stay readable to everyone.
//
//   0      format: 0 clear, 1 sealed
//   1..3   zero
//   4..7   epoch, uint32 big-endian (sealed only; 0 when clear)
//   8..31  nonce, 24 bytes (sealed only)
//   32..47 XChaCha20-Poly1305 tag, 16 bytes (sealed only)
//
// A sealed block is encrypted under its own key, derived from the epoch key, the log's key and the
// nonce: a member can disclose that one key (to a judge, say) and reveal that block and nothing else.

import sodium from 'sodium-native'
import { GlassboxError } from '../errors.js'

export const ENVELOPE_BYTES = 48
export const KEY_BYTES = 32
const NONCE_BYTES = 24
const TAG_BYTES = 16
const FORMAT_CLEAR = 0
const FORMAT_SEALED = 1
const BLOCK_KEY_CONTEXT = Buffer.from('glassbox/block-key')
const INDEX_NONCE_CONTEXT = Buffer.from('glassbox/index-nonce')

/** A block that cannot be opened: a wrong or missing key, a damaged or forged envelope. */
export class EnvelopeError extends GlassboxError {}

export interface EnvelopeHead {
  sealed: boolean
  epoch: number
}

/** Reads the envelope's head (format and epoch); throws on a block too short or of unknown format. */
export function envelopeHead(stored: Uint8Array): EnvelopeHead {
  if (stored.length < ENVELOPE_BYTES) throw new EnvelopeError('ENVELOPE_MALFORMED', `a block of ${stored.length} bytes is shorter than its ${ENVELOPE_BYTES}-byte envelope`)
  const format = stored[0]
  if (format === FORMAT_CLEAR) {
    for (let i = 1; i < ENVELOPE_BYTES; i++) if (stored[i] !== 0) throw new EnvelopeError('ENVELOPE_MALFORMED', 'a clear block whose envelope is not all zero')
    return { sealed: false, epoch: 0 }
  }
  if (format !== FORMAT_SEALED || stored[1] !== 0 || stored[2] !== 0 || stored[3] !== 0) {
    throw new EnvelopeError('ENVELOPE_MALFORMED', `unknown envelope format ${format}`)
  }
  return { sealed: true, epoch: Buffer.from(stored.buffer, stored.byteOffset, stored.length).readUInt32BE(4) }
}

/** The key of one sealed block: BLAKE2b-256 keyed by the epoch key over context ‖ log key ‖ nonce. */
export function blockKey(epochKey: Uint8Array, logKey: Uint8Array, nonce: Uint8Array): Buffer {
  const out = Buffer.alloc(KEY_BYTES)
  sodium.crypto_generichash(out, Buffer.concat([BLOCK_KEY_CONTEXT, logKey, nonce]), Buffer.from(epochKey))
  return out
}

/**
 * The nonce of an index log block: derived from the block's position and bytes, so the executor can
 * compute the stored bytes (and the tree hash over them) before Hypercore writes them, and two
 * different blocks never share a nonce, even at one position of two forks.
 */
export function indexNonce(epochKey: Uint8Array, position: number, plaintext: Uint8Array): Buffer {
  const at = Buffer.alloc(8)
  at.writeBigUInt64BE(BigInt(position))
  const out = Buffer.alloc(NONCE_BYTES)
  sodium.crypto_generichash(out, Buffer.concat([INDEX_NONCE_CONTEXT, at, plaintext]), Buffer.from(epochKey))
  return out
}

/** A random nonce, for oplog blocks (a participant does not know its op's seq before the append). */
export function randomNonce(): Buffer {
  const out = Buffer.alloc(NONCE_BYTES)
  sodium.randombytes_buf(out)
  return out
}

/**
 * Writes the envelope into `stored` (ENVELOPE_BYTES, then the block's bytes), in place. A clear
 * block gets an all-zero envelope; a sealed one is encrypted under `epoch`'s key.
 */
export function sealInPlace(stored: Buffer, logKey: Uint8Array, seal: { epoch: number; epochKey: Uint8Array; nonce: Uint8Array } | null): void {
  stored.fill(0, 0, ENVELOPE_BYTES)
  if (!seal) return
  stored[0] = FORMAT_SEALED
  stored.writeUInt32BE(seal.epoch, 4)
  const nonce = stored.subarray(8, 8 + NONCE_BYTES)
  nonce.set(seal.nonce)
  const body = stored.subarray(ENVELOPE_BYTES)
  const tag = stored.subarray(8 + NONCE_BYTES, ENVELOPE_BYTES)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(body, tag, body, associated(logKey, seal.epoch), null, nonce, blockKey(seal.epochKey, logKey, nonce))
}

/** A new buffer: the envelope, then `plaintext` sealed under `epoch` (or clear when `seal` is null). */
export function sealBytes(plaintext: Uint8Array, logKey: Uint8Array, seal: { epoch: number; epochKey: Uint8Array; nonce: Uint8Array } | null): Buffer {
  const stored = Buffer.alloc(ENVELOPE_BYTES + plaintext.length)
  stored.set(plaintext, ENVELOPE_BYTES)
  sealInPlace(stored, logKey, seal)
  return stored
}

/** The nonce of a sealed block (to derive its block key for disclosure). */
export function envelopeNonce(stored: Uint8Array): Buffer {
  return Buffer.from(stored.subarray(8, 8 + NONCE_BYTES))
}

/**
 * Opens a sealed block in place with its block key (ENVELOPE_BYTES, then the block's bytes once it
 * returns). Throws ENVELOPE_UNOPENED when the key is not the block's or the bytes were changed.
 */
export function openInPlace(stored: Buffer, logKey: Uint8Array, key: Uint8Array): void {
  const { sealed, epoch } = envelopeHead(stored)
  if (!sealed) return
  const body = stored.subarray(ENVELOPE_BYTES)
  const tag = stored.subarray(8 + NONCE_BYTES, ENVELOPE_BYTES)
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt_detached(body, null, body, tag, associated(logKey, epoch), stored.subarray(8, 8 + NONCE_BYTES), Buffer.from(key))
  } catch {
    throw new EnvelopeError('ENVELOPE_UNOPENED', `a block sealed under epoch ${epoch} does not open with that epoch's key (a wrong key, or changed bytes)`)
  }
}

/** The bytes of a stored block once opened: a copy, the stored block is left as it is. */
export function openBytes(stored: Uint8Array, logKey: Uint8Array, epochKey: Uint8Array): Buffer {
  const copy = Buffer.from(stored)
  const { sealed } = envelopeHead(copy)
  if (sealed) openInPlace(copy, logKey, blockKey(epochKey, logKey, envelopeNonce(copy)))
  return copy.subarray(ENVELOPE_BYTES)
}

// The tag also covers the log and the epoch, so a block cannot pass for one of another log or epoch.
function associated(logKey: Uint8Array, epoch: number): Buffer {
  const out = Buffer.alloc(36)
  out.set(logKey)
  out.writeUInt32BE(epoch, 32)
  return out
}
