// The log key we compute without Hypercore (src/log/manifest-key.ts) is Hypercore's own.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import Hypercore from 'hypercore'
import { keyOfSingleSigner } from '../src/log/manifest-key.js'

test('keyOfSingleSigner equals Hypercore.key for random signers', () => {
  for (let i = 0; i < 200; i++) {
    const signer = randomBytes(32)
    assert.equal(Buffer.from(keyOfSingleSigner(new Uint8Array(signer))).toString('hex'), Buffer.from(Hypercore.key(signer)).toString('hex'))
  }
})

test('a signer of the wrong size is refused', () => {
  assert.throws(() => keyOfSingleSigner(new Uint8Array(31)), /32 bytes/)
})
