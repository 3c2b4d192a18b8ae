// Ops of a confidential database (docs/protocol.md §17.4): each oplog block is an envelope sealed
// under the newest epoch its author holds, with a random nonce (an op's seq is only known once the
// append is done). The executor and every verifier open it the same way: an op that does not open
// fails with one message whatever the reason, so its entry is the same for everyone who holds the keys.

import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import { blockKey, envelopeHead, envelopeNonce, openBytes, randomNonce, sealBytes } from './envelope.js'
import type { Keyring } from './keyring.js'

/** The error of every op that does not open: one message, so no verifier's entry differs by cause. */
export const OP_UNOPENED = 'the op is not sealed under a key of this database'

/** Seals an op's bytes under the newest epoch for the oplog `logKey`. */
export async function sealOp(keyring: Keyring, logKey: Uint8Array, op: Uint8Array): Promise<Buffer> {
  const { epoch, key } = await keyring.current()
  return sealBytes(op, logKey, { epoch, epochKey: key, nonce: randomNonce() })
}

/**
 * The op's bytes, or the error its entry records. Throws KEY_UNAVAILABLE when the op's epoch exists
 * but this directory does not hold its key: it cannot know the op's outcome, so it must not judge it.
 */
export async function openOp(keyring: Keyring, oplog: Hypercore, stored: Uint8Array): Promise<{ bytes: Uint8Array } | { error: string }> {
  let epoch: number
  try {
    const head = envelopeHead(stored)
    if (!head.sealed) return { error: OP_UNOPENED }
    epoch = head.epoch
  } catch {
    return { error: OP_UNOPENED }
  }
  if (epoch >= keyring.epochs) {
    // A replica's keys log may lag the executor's: catch up before calling the epoch missing.
    if (!keyring.keysLog.writable) await keyring.keysLog.update({ wait: true }).catch(() => false)
    await keyring.refresh()
    if (epoch >= keyring.epochs) return { error: OP_UNOPENED }
  }
  const key = await keyring.keyOf(epoch)
  try {
    return { bytes: openBytes(stored, oplog.key, key) }
  } catch {
    return { error: OP_UNOPENED }
  }
}

/**
 * A sealed op's bytes and its block key (hex), for a proof that discloses this op and no other
 * (docs/protocol.md §17.6); null when it does not open, which no compact proof can show.
 */
export async function discloseOp(keyring: Keyring, oplog: Hypercore, stored: Uint8Array): Promise<{ bytes: Uint8Array; blockKey: string } | null> {
  const opened = await openOp(keyring, oplog, stored)
  if ('error' in opened) return null
  const key = await keyring.keyOf(envelopeHead(stored).epoch)
  return { bytes: opened.bytes, blockKey: toHex(blockKey(key, oplog.key, envelopeNonce(stored))) }
}
