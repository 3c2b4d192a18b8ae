// C2SP signed notes and tlog cosignatures (docs/protocol.md §8.5) against published vectors: the
// Go sumdb/note example signed by "PeterNeumann", verifier keys of the signed-note spec and of
// transparency-dev/formats, and the timestamp of a transparency-dev cosignature.

import assert from 'node:assert/strict'
import test from 'node:test'
import sodium from 'sodium-native'
import {
  COSIGNATURE_V1,
  cosignatureTime,
  formatNote,
  formatVerifierKey,
  keyId,
  MAX_NOTE_SIGNATURES,
  NOTE_ED25519,
  NoteError,
  parseNote,
  parseVerifierKey,
  signaturesBy,
  signCosignature,
  signNote,
  verifyCosignature,
  verifyNoteSignature,
} from '../src/codec/signed-note.js'

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const PETER_SEED_B64 = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz' // from the skey PRIVATE+KEY+PeterNeumann+c74f20a3+…
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const PETER_NOTE = `${PETER_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`

function keyPairFromSeed(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(seed))
  return { publicKey, secretKey }
}

function newKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return { publicKey, secretKey }
}

test('the sumdb/note example: its key parses, its signature verifies, and signing it again gives the same note', () => {
  const key = parseVerifierKey(PETER_VKEY)
  assert.equal(key.name, 'PeterNeumann')
  assert.equal(key.type, NOTE_ED25519)
  const note = parseNote(PETER_NOTE)
  assert.equal(note.text, PETER_TEXT)
  const [sig] = signaturesBy(note, key)
  assert.ok(sig && verifyNoteSignature(note.text, sig, key))
  assert.ok(!verifyNoteSignature(note.text.replace('answer', 'question'), sig, key))
  // Ed25519 is deterministic: the published private key signs the text into the published note.
  const seed = Buffer.from(PETER_SEED_B64, 'base64').subarray(1)
  const { publicKey, secretKey } = keyPairFromSeed(seed)
  assert.deepEqual(Buffer.from(publicKey), Buffer.from(key.publicKey))
  assert.equal(formatNote({ text: PETER_TEXT, signatures: [signNote(PETER_TEXT, 'PeterNeumann', secretKey, publicKey)] }), PETER_NOTE)
})

test('verifier keys of other implementations round-trip, including a 0x04 cosigner key and base64 with a plus', () => {
  for (const vkey of [
    'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k', // c2sp.org/signed-note
    'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop', // golang.org/x/mod sumdb/note tests
    'TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6', // transparency-dev/formats tests
    'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2', // a cosignature/v1 witness key
  ]) {
    assert.equal(formatVerifierKey(parseVerifierKey(vkey)), vkey)
  }
  assert.equal(parseVerifierKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2').type, COSIGNATURE_V1)
  assert.equal(Buffer.from(keyId(parseVerifierKey(PETER_VKEY))).toString('hex'), 'c74f20a3')
  for (const bad of [
    'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // wrong key ID
    'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // uppercase ID
    'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // a space in the name
    'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T', // not base64
    'PeterNeumann+c74f20a3', // no key
    'PeterNeumann+c74f20a3+AQID', // an Ed25519 key of 2 bytes
  ]) {
    assert.throws(() => parseVerifierKey(bad), (err: unknown) => err instanceof NoteError && err.code === 'NOTE_KEY', bad)
  }
})

test('a cosignature: the published timestamp reads back, and one of ours verifies only as what it is', () => {
  const published = parseNote(`a\n\n\u2014 w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==\n`)
  assert.equal(cosignatureTime(published.signatures[0]), 1727964367)

  const text = 'example.com/log\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'
  const witness = newKeyPair()
  const key = { name: 'witness.example/w1', type: COSIGNATURE_V1, publicKey: witness.publicKey }
  const sig = signCosignature(text, 1700000000, key.name, witness.secretKey, witness.publicKey)
  const note = parseNote(formatNote({ text, signatures: [sig] }))
  const [line] = signaturesBy(note, key)
  assert.equal(verifyCosignature(text, line, key), 1700000000)
  // The same key as a plain note signer is another key (another ID), and the line is not its.
  const plain = { ...key, type: NOTE_ED25519 }
  assert.equal(signaturesBy(note, plain).length, 0)
  assert.equal(verifyNoteSignature(text, line, plain), false)
  // A changed time, text or signature does not verify.
  const retimed = { ...line, signature: line.signature.slice() }
  new DataView(retimed.signature.buffer).setBigUint64(0, 1700000001n)
  assert.equal(verifyCosignature(text, retimed, key), null)
  assert.equal(verifyCosignature(text.replace('42', '43'), line, key), null)
  assert.equal(verifyCosignature(text, { ...line, signature: line.signature.subarray(0, 70) }, key), null)
  // Another witness that copies the line under its own name does not pass as it.
  const other = newKeyPair()
  assert.equal(verifyCosignature(text, { ...line, name: 'other' }, { name: 'other', type: COSIGNATURE_V1, publicKey: other.publicKey }), null)
})

test('malformed notes are refused with a reason, never half-read', () => {
  const ok = `hello\n\n\u2014 a AAAAAAE=\n`
  assert.equal(parseNote(ok).signatures.length, 1)
  const cases: [string, RegExp][] = [
    ['hello\n\u2014 a AAAAAAE=\n', /blank line/],
    ['hello\n\n', /signature line/],
    ['hello\n\n\u2014 a AAAAAAE=', /newline/],
    ['hel\u0007lo\n\n\u2014 a AAAAAAE=\n', /control/],
    ['hello\n\n\u2014 a AAAA\n', /key ID and a signature/],
    ['hello\n\n\u2014 a AAAAAAE\n', /key ID and a signature/],
    ['hello\n\n- a AAAAAAE=\n', /signature line/],
    ['hello\n\n\u2014 a+b AAAAAAE=\n', /key name/],
    [`hello\n\n${`\u2014 a AAAAAAE=\n`.repeat(MAX_NOTE_SIGNATURES + 1)}`, /more than/],
  ]
  for (const [note, reason] of cases) {
    assert.throws(() => parseNote(note), (err: unknown) => err instanceof NoteError && err.code === 'NOTE_MALFORMED' && reason.test(err.message), JSON.stringify(note))
  }
})
