// The envelope of a confidential database's blocks (docs/protocol.md §17.2), byte for byte: the
// vectors in test/vectors/envelope.json are rebuilt here from the protocol's words with @noble's
// BLAKE2b and XChaCha20 (not through src/confidential/envelope.ts), then opened by the implementation.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { xchacha20 } from '@noble/ciphers/chacha.js'
import { blake2b } from '@noble/hashes/blake2.js'
import { blockKey, envelopeHead, indexNonce, openBytes, rebuildStored, sealBytes } from '../src/confidential/envelope.js'

interface Case {
  name: string
  epoch?: number
  nonce?: string
  position?: number
  derivedNonce?: string
  clear?: boolean
  plaintext: string
  blockKey?: string
  stored: string
}
const vectors = JSON.parse(readFileSync(path.join(process.cwd(), 'test', 'vectors', 'envelope.json'), 'utf8')) as { epochKey: string; logKey: string; cases: Case[] }
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const utf8 = (s: string) => new TextEncoder().encode(s)
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts))
const epochKey = bytes(vectors.epochKey)
const logKey = bytes(vectors.logKey)

/** The stored block as §17.2 says it is made. */
function fromTheSpec(c: Case, nonce: Uint8Array): Uint8Array {
  const plaintext = bytes(c.plaintext)
  if (c.clear) return cat(new Uint8Array(64), plaintext)
  const key = blake2b(cat(utf8('glassbox/block-key'), logKey, nonce), { key: epochKey, dkLen: 32 })
  const ciphertext = xchacha20(key, nonce, plaintext)
  const epoch = new Uint8Array(4)
  new DataView(epoch.buffer).setUint32(0, c.epoch!)
  const mac = blake2b(cat(utf8('glassbox/block-mac'), epoch, ciphertext), { key, dkLen: 32 })
  return cat(Uint8Array.from([1, 0, 0, 0]), epoch, nonce, mac, ciphertext)
}

for (const c of vectors.cases) {
  test(`envelope vector: ${c.name}`, () => {
    let nonce = new Uint8Array(24)
    if (c.position !== undefined) {
      const at = new Uint8Array(8)
      new DataView(at.buffer).setBigUint64(0, BigInt(c.position))
      nonce = blake2b(cat(utf8('glassbox/index-nonce'), at, bytes(c.plaintext)), { key: epochKey, dkLen: 24 })
      assert.equal(hex(nonce), c.derivedNonce)
      assert.equal(hex(indexNonce(epochKey, c.position, bytes(c.plaintext))), c.derivedNonce)
    } else if (c.nonce) nonce = bytes(c.nonce)
    const spec = fromTheSpec(c, nonce)
    assert.equal(hex(spec), c.stored, 'the vector is what the protocol describes')
    assert.equal(hex(sealBytes(bytes(c.plaintext), logKey, c.clear ? null : { epoch: c.epoch!, epochKey, nonce })), c.stored, 'the implementation writes it')
    assert.equal(hex(openBytes(bytes(c.stored), logKey, epochKey)), c.plaintext, 'and opens it')
    assert.equal(envelopeHead(bytes(c.stored)).sealed, !c.clear)
    if (c.clear) return
    assert.equal(hex(blockKey(epochKey, logKey, nonce)), c.blockKey)
    // Disclosed with its block key, the block is rebuilt; any other key or a changed byte is refused.
    assert.equal(hex(rebuildStored(bytes(c.stored).subarray(0, 64), bytes(c.plaintext), bytes(c.blockKey!))), c.stored)
    const otherKey = bytes(c.blockKey!)
    otherKey[0] ^= 1
    assert.throws(() => rebuildStored(bytes(c.stored).subarray(0, 64), bytes(c.plaintext), otherKey), { code: 'ENVELOPE_UNOPENED' })
    const changed = bytes(c.stored)
    changed[changed.length - 1] ^= 1
    assert.throws(() => openBytes(changed, logKey, epochKey), { code: 'ENVELOPE_UNOPENED' })
  })
}
