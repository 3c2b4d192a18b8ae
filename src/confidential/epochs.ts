// Epoch records: the blocks of a confidential database's keys log (docs/protocol.md §17.3). Record n
// is epoch n: its key sealed to each member's X25519 key (converted from the member's Ed25519 key),
// and the key of epoch n−1 wrapped under it, so whoever holds an epoch's key holds every earlier one
// and a member added later can verify the whole history, while a member left out of an epoch holds
// none of the keys from then on.

import sodium from 'sodium-native'
import { decode, encode, type Canonical } from '../codec/canonical.js'
import { isPubkeyHex } from '../codec/hash.js'
import { DecodeError } from '../errors.js'
import { KEY_BYTES } from './envelope.js'

export interface EpochRecord {
  type: 'epoch'
  epoch: number
  /** The index length from which the executor seals entries under this epoch. */
  from: number
  /** Each member's Ed25519 public key (hex) → the epoch key sealed to its X25519 key. */
  members: Record<string, Uint8Array>
  /** The previous epoch's key, wrapped under this epoch's; null for epoch 0. */
  previous: Uint8Array | null
}

/** An Ed25519 key pair that can open the epoch keys sealed to it. */
export interface Identity {
  publicKey: Uint8Array
  /** libsodium's 64 bytes: seed, then public key. */
  secretKey: Uint8Array
}

const WRAP_CONTEXT = Buffer.from('glassbox/wrap-previous')
const SEALED_KEY_BYTES = KEY_BYTES + 48 // crypto_box_SEALBYTES
const WRAPPED_KEY_BYTES = KEY_BYTES + 16 // crypto_secretbox_MACBYTES

export function newEpochKey(): Buffer {
  const key = Buffer.alloc(KEY_BYTES)
  sodium.randombytes_buf(key)
  return key
}

/** Makes epoch `epoch`'s record: `key` sealed to every member, and the previous key wrapped under it. */
export function makeEpoch(epoch: number, from: number, key: Uint8Array, previousKey: Uint8Array | null, members: readonly string[]): EpochRecord {
  const sealed: Record<string, Uint8Array> = {}
  for (const member of [...new Set(members)].sort()) {
    const box = Buffer.alloc(SEALED_KEY_BYTES)
    sodium.crypto_box_seal(box, Buffer.from(key), x25519Public(member))
    sealed[member] = box
  }
  let previous: Uint8Array | null = null
  if (previousKey) {
    const wrapped = Buffer.alloc(WRAPPED_KEY_BYTES)
    sodium.crypto_secretbox_easy(wrapped, Buffer.from(previousKey), Buffer.alloc(24), wrapKey(key))
    previous = wrapped
  }
  return { type: 'epoch', epoch, from, members: sealed, previous }
}

/** The epoch key, if `identity` is one of the record's members (null otherwise or if its box does not open). */
export function openEpoch(record: EpochRecord, identity: Identity): Buffer | null {
  const box = record.members[Buffer.from(identity.publicKey).toString('hex')]
  if (!box || box.length !== SEALED_KEY_BYTES) return null
  const xPublic = Buffer.alloc(32)
  const xSecret = Buffer.alloc(32)
  sodium.crypto_sign_ed25519_pk_to_curve25519(xPublic, Buffer.from(identity.publicKey))
  sodium.crypto_sign_ed25519_sk_to_curve25519(xSecret, Buffer.from(identity.secretKey))
  const key = Buffer.alloc(KEY_BYTES)
  return sodium.crypto_box_seal_open(key, Buffer.from(box), xPublic, xSecret) ? key : null
}

/** The previous epoch's key, from this epoch's record and key (null for epoch 0 or a wrap that does not open). */
export function unwrapPrevious(record: EpochRecord, key: Uint8Array): Buffer | null {
  if (!record.previous || record.previous.length !== WRAPPED_KEY_BYTES) return null
  const previous = Buffer.alloc(KEY_BYTES)
  return sodium.crypto_secretbox_open_easy(previous, Buffer.from(record.previous), Buffer.alloc(24), wrapKey(key)) ? previous : null
}

export function encodeEpoch(record: EpochRecord): Buffer {
  const e = encode(record as unknown as Canonical)
  return Buffer.from(e.buffer, e.byteOffset, e.byteLength)
}

export function decodeEpoch(bytes: Uint8Array): EpochRecord {
  const m = decode(bytes)
  const bad = (why: string) => new DecodeError('DECODE_SCHEMA', `epoch record: ${why}`)
  if (m === null || typeof m !== 'object' || Array.isArray(m) || m instanceof Uint8Array) throw bad('not a map')
  const keys = Object.keys(m).sort().join(',')
  if (keys !== 'epoch,from,members,previous,type' || m.type !== 'epoch') throw bad(`fields ${keys}`)
  if (!Number.isSafeInteger(m.epoch) || (m.epoch as number) < 0 || !Number.isSafeInteger(m.from) || (m.from as number) < 0) throw bad('epoch and from must be whole numbers')
  const members = m.members
  if (members === null || typeof members !== 'object' || Array.isArray(members) || members instanceof Uint8Array) throw bad('members must be a map')
  for (const [k, v] of Object.entries(members)) {
    if (!isPubkeyHex(k) || !(v instanceof Uint8Array) || v.length !== SEALED_KEY_BYTES) throw bad(`member ${k.slice(0, 16)} must be a public key with a ${SEALED_KEY_BYTES}-byte sealed key`)
  }
  if (m.previous !== null && !(m.previous instanceof Uint8Array && m.previous.length === WRAPPED_KEY_BYTES)) throw bad(`previous must be null or ${WRAPPED_KEY_BYTES} bytes`)
  if ((m.epoch === 0) !== (m.previous === null)) throw bad('previous must be null exactly for epoch 0')
  return { type: 'epoch', epoch: m.epoch as number, from: m.from as number, members: members as Record<string, Uint8Array>, previous: m.previous as Uint8Array | null }
}

function x25519Public(edPublicHex: string): Buffer {
  const out = Buffer.alloc(32)
  sodium.crypto_sign_ed25519_pk_to_curve25519(out, Buffer.from(edPublicHex, 'hex'))
  return out
}

function wrapKey(key: Uint8Array): Buffer {
  const out = Buffer.alloc(KEY_BYTES)
  sodium.crypto_generichash(out, WRAP_CONTEXT, Buffer.from(key))
  return out
}

/** The identity of a 64-byte Ed25519 secret key (seed, then public key). */
export function identityOf(secretKey: Uint8Array): Identity {
  return { publicKey: secretKey.subarray(32), secretKey }
}
