// C2SP signed notes (c2sp.org/signed-note) and Ed25519 cosignatures (c2sp.org/tlog-cosignature),
// the text formats transparency-log tooling reads (docs/protocol.md §8.5). A note is a text ending
// in a newline, a blank line, then signature lines `— <name> base64(keyID ‖ signature)`.
//
// Glassbox signs two kinds of note: a seal's checkpoint, with the index log's key (type 0x01, plain
// Ed25519 over the text), and a monitor's cosignature over a checkpoint (type 0x04, Ed25519 over
// `cosignature/v1`, a time line, then the text). Browser-safe.

import { base64ToBytes, bytesToBase64, sha256 } from './primitives.js'
import { sign, verifySignature } from './sign.js'

/** c2sp.org/signed-note signature types Glassbox uses. */
export const NOTE_ED25519 = 0x01
export const COSIGNATURE_V1 = 0x04

/** More signature lines than this and a note is refused (the spec asks for at least 16). */
export const MAX_NOTE_SIGNATURES = 64
export const MAX_NOTE_BYTES = 1 << 16

const EM_DASH = '\u2014'
const utf8 = new TextEncoder()

export class NoteError extends Error {
  constructor(
    readonly code: 'NOTE_MALFORMED' | 'NOTE_UNVERIFIED' | 'NOTE_KEY',
    message: string,
  ) {
    super(message)
    this.name = 'NoteError'
  }
}

/** One signature line: the signer's name, the 4-byte key ID and the signature bytes after it. */
export interface NoteSignature {
  name: string
  keyId: Uint8Array
  signature: Uint8Array
}

export interface Note {
  /** The signed text, with its final newline. */
  text: string
  signatures: NoteSignature[]
}

/** A public key as signed-note clients configure it. */
export interface NoteKey {
  name: string
  type: number
  publicKey: Uint8Array
}

/** Key names: non-empty, no Unicode space, no plus (c2sp.org/signed-note §Format). */
export function isKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !/[\s+]/u.test(name) && !hasControl(name)
}

function hasControl(text: string): boolean {
  return /[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)
}

/** SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export function keyId(key: NoteKey): Uint8Array {
  return sha256(utf8.encode(`${key.name}\n`), Uint8Array.of(key.type), key.publicKey).subarray(0, 4)
}

/** The verifier key string: `<name>+<key ID hex>+<base64(type ‖ public key)>`. */
export function formatVerifierKey(key: NoteKey): string {
  if (!isKeyName(key.name)) throw new NoteError('NOTE_KEY', `"${key.name}" is not a key name (no spaces or plus signs)`)
  const id = [...keyId(key)].map((b) => b.toString(16).padStart(2, '0')).join('')
  const material = new Uint8Array(1 + key.publicKey.length)
  material[0] = key.type
  material.set(key.publicKey, 1)
  return `${key.name}+${id}+${bytesToBase64(material)}`
}

/** Parses a verifier key string; its key ID must be the one its name, type and key give. */
export function parseVerifierKey(vkey: string): NoteKey {
  const bad = (why: string) => new NoteError('NOTE_KEY', `not a verifier key (${why}): ${JSON.stringify(String(vkey).slice(0, 80))}`)
  if (typeof vkey !== 'string') throw bad('not a string')
  const parts = vkey.split('+')
  // The base64 part may itself contain plus signs: the name and the ID are the first two parts.
  if (parts.length < 3) throw bad('it needs name+id+key')
  const [name, id] = parts
  const material = base64ToBytes(parts.slice(2).join('+'))
  if (!isKeyName(name)) throw bad('bad name')
  if (!/^[0-9a-f]{8}$/.test(id)) throw bad('the key ID must be 8 lowercase hex digits')
  if (!material || material.length < 2) throw bad('bad base64 key material')
  const key = { name, type: material[0], publicKey: material.subarray(1) }
  if ((key.type === NOTE_ED25519 || key.type === COSIGNATURE_V1) && key.publicKey.length !== 32) throw bad('an Ed25519 key is 32 bytes')
  if (formatVerifierKey(key) !== vkey) throw bad('the key ID does not match the key')
  return key
}

/** The note as text: its body, a blank line, one line per signature. */
export function formatNote(note: Note): string {
  checkText(note.text)
  let out = `${note.text}\n`
  for (const s of note.signatures) {
    if (!isKeyName(s.name)) throw new NoteError('NOTE_MALFORMED', `"${s.name}" is not a key name`)
    const bytes = new Uint8Array(4 + s.signature.length)
    bytes.set(s.keyId)
    bytes.set(s.signature, 4)
    out += `${EM_DASH} ${s.name} ${bytesToBase64(bytes)}\n`
  }
  return out
}

function checkText(text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new NoteError('NOTE_MALFORMED', 'a note text must end with a newline')
  if (hasControl(text)) throw new NoteError('NOTE_MALFORMED', 'a note may hold no control character but newline')
  // In a u-mode pattern a surrogate range matches only lone surrogates, which UTF-8 cannot hold.
  if (/[\uD800-\uDFFF]/u.test(text)) {
    throw new NoteError('NOTE_MALFORMED', 'a note must be valid UTF-8')
  }
}

/** Parses a signed note; signatures are only split out here, not verified. */
export function parseNote(message: string): Note {
  const bad = (why: string) => new NoteError('NOTE_MALFORMED', `not a signed note: ${why}`)
  if (typeof message !== 'string') throw bad('not text')
  if (utf8.encode(message).length > MAX_NOTE_BYTES) throw bad(`longer than ${MAX_NOTE_BYTES} bytes`)
  const split = message.lastIndexOf('\n\n')
  if (split < 0) throw bad('no blank line before the signatures')
  const text = message.slice(0, split + 1)
  checkText(text)
  const lines = message.slice(split + 2)
  if (!lines.endsWith('\n')) throw bad('the last signature line does not end with a newline')
  const signatures: NoteSignature[] = []
  for (const line of lines.slice(0, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line)
    if (!m) throw bad(`a signature line must read "— <name> <base64>": ${JSON.stringify(line.slice(0, 80))}`)
    const bytes = base64ToBytes(m[2])
    if (!isKeyName(m[1])) throw bad(`"${m[1]}" is not a key name`)
    if (!bytes || bytes.length < 5) throw bad(`the signature of ${m[1]} is not base64 of a key ID and a signature`)
    signatures.push({ name: m[1], keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) })
    if (signatures.length > MAX_NOTE_SIGNATURES) throw bad(`more than ${MAX_NOTE_SIGNATURES} signatures`)
  }
  return { text, signatures }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** The signature lines of `note` that claim to be by `key` (same name and key ID). */
export function signaturesBy(note: Note, key: NoteKey): NoteSignature[] {
  const id = keyId(key)
  return note.signatures.filter((s) => s.name === key.name && sameBytes(s.keyId, id))
}

/** A type 0x01 signature of `text` (Ed25519 over the text itself). */
export function signNote(text: string, name: string, secretKey: Uint8Array, publicKey: Uint8Array): NoteSignature {
  checkText(text)
  return { name, keyId: keyId({ name, type: NOTE_ED25519, publicKey }), signature: sign(utf8.encode(text), secretKey) }
}

/** Whether a type 0x01 signature line is `key`'s signature of `text`. */
export function verifyNoteSignature(text: string, s: NoteSignature, key: NoteKey): boolean {
  if (key.type !== NOTE_ED25519 || s.name !== key.name || !sameBytes(s.keyId, keyId(key))) return false
  return verifySignature(s.signature, utf8.encode(text), key.publicKey)
}

/** What a v1 cosignature signs: `cosignature/v1`, `time <t>`, then the checkpoint text. */
export function cosignedMessage(text: string, time: number): Uint8Array {
  return utf8.encode(`cosignature/v1\ntime ${time}\n${text}`)
}

/** A type 0x04 cosignature of a checkpoint text at `time` (POSIX seconds). */
export function signCosignature(text: string, time: number, name: string, secretKey: Uint8Array, publicKey: Uint8Array): NoteSignature {
  checkText(text)
  if (!Number.isSafeInteger(time) || time < 0) throw new NoteError('NOTE_MALFORMED', 'a cosignature time is whole seconds since 1970')
  return { name, keyId: keyId({ name, type: COSIGNATURE_V1, publicKey }), signature: timestampedSignature(time, sign(cosignedMessage(text, time), secretKey)) }
}

/** A cosignature line's bytes after the key ID: the time as a big-endian u64, then the Ed25519 signature. */
export function timestampedSignature(time: number, signature: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + signature.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(time))
  out.set(signature, 8)
  return out
}

/** The time a cosignature line states (its first 8 bytes), or null if it is not one. */
export function cosignatureTime(s: NoteSignature): number | null {
  if (s.signature.length !== 8 + 64) return null
  const t = new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0)
  return t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : null
}

/** The time of `key`'s valid cosignature line over `text`, or null if the line is not one. */
export function verifyCosignature(text: string, s: NoteSignature, key: NoteKey): number | null {
  if (key.type !== COSIGNATURE_V1 || s.name !== key.name || !sameBytes(s.keyId, keyId(key))) return null
  const time = cosignatureTime(s)
  if (time === null) return null
  return verifySignature(s.signature.subarray(8), cosignedMessage(text, time), key.publicKey) ? time : null
}
