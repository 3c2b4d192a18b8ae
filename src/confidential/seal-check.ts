// What a peer without a key checks of a confidential database (docs/protocol.md §17.5): the header and
// the seals are clear, so it can hold the executor to every signed seal (its signature, its length,
// the index log's tree hash at that length) and to the keys log's shape, and replicate and serve the
// sealed entries, without reading any of them. Entries, state and acks stay out of its sight.

import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import { decodeEntry, type ConfidentialSettings, type SealEntry } from '../codec/messages.js'
import { sealSignedBy, signerOf } from '../log/seal.js'
import { ENVELOPE_BYTES, envelopeHead } from './envelope.js'
import { decodeEpoch } from './epochs.js'

export interface SealCheckReport {
  key: string
  /** The index length checked. */
  length: number
  /** Seals checked (each signed, at its own length, over the log's tree hash there). */
  seals: number
  /** Entries stored sealed (unread here). */
  sealedEntries: number
  /** Epochs in the keys log. */
  epochs: number
  /** The last seal checked: the length and state root it signs. */
  last: { length: number; stateRoot: string } | null
  /** The first thing found wrong, or null. */
  problem: { position: number; message: string } | null
}

/**
 * Checks the clear part of a confidential index log and its keys log, block by block, up to the
 * index's length. `onProgress` is told each position checked.
 */
export async function checkSeals(index: Hypercore, settings: ConfidentialSettings, keysLog: Hypercore, onProgress?: (done: number, total: number) => void): Promise<SealCheckReport> {
  const length = index.length
  const report: SealCheckReport = { key: toHex(index.key), length, seals: 0, sealedEntries: 0, epochs: 0, last: null, problem: null }
  const fail = (position: number, message: string) => ({ ...report, problem: { position, message } })
  for (let n = 0; n < keysLog.length; n++) {
    try {
      const record = decodeEpoch((await keysLog.get(n))!)
      if (record.epoch !== n) return fail(-1, `keys log record ${n} names epoch ${record.epoch}`)
    } catch (err) {
      return fail(-1, `keys log record ${n} is not an epoch record: ${(err as Error).message}`)
    }
    report.epochs++
  }
  const signer = signerOf(index)
  let epoch = 0
  let lastWasSeal = true
  for (let position = 0; position < length; position++) {
    const stored = await index.get(position, { raw: true })
    if (!stored) return fail(position, `block ${position} is not available here`)
    let head
    try {
      head = envelopeHead(stored)
    } catch (err) {
      return fail(position, (err as Error).message)
    }
    lastWasSeal = false
    if (head.sealed) {
      if (position === 0) return fail(0, 'the header is sealed; it must be clear')
      if (position === 1 && settings.publicContract) return fail(1, 'the contract is sealed, but the header makes it public')
      if (head.epoch < epoch) return fail(position, `entry ${position} is sealed under epoch ${head.epoch}, older than epoch ${epoch} before it`)
      if (head.epoch >= report.epochs) return fail(position, `entry ${position} is sealed under epoch ${head.epoch}, which the keys log (${report.epochs} epochs) does not hold`)
      epoch = head.epoch
      report.sealedEntries++
    } else {
      let entry
      try {
        entry = decodeEntry(stored.subarray(ENVELOPE_BYTES))
      } catch (err) {
        return fail(position, `a clear block that is not an entry: ${(err as Error).message}`)
      }
      if (position === 0) {
        if (entry.type !== 'header' || !entry.confidential || entry.confidential.keys !== settings.keys) return fail(0, 'the first block is not this confidential database\'s header')
        continue
      }
      if (entry.type === 'contract' && position === 1 && settings.publicContract) continue
      if (entry.type !== 'seal') return fail(position, `a ${entry.type} entry stored in the clear: only the header and the seals may be${settings.publicContract ? ', and the contract' : ''}`)
      const problem = await checkSeal(index, entry, position, signer)
      if (problem) return fail(position, problem)
      report.seals++
      report.last = { length: entry.length, stateRoot: toHex(entry.stateRoot) }
      lastWasSeal = true
    }
    onProgress?.(position + 1, length)
  }
  if (length > 0 && !lastWasSeal) return fail(length - 1, `the log's signed length ${length} does not end on a seal (every block ends with one)`)
  return report
}

async function checkSeal(index: Hypercore, seal: SealEntry, position: number, signer: Uint8Array): Promise<string | null> {
  if (seal.length !== position) return `the seal at #${position} claims to cover ${seal.length} entries`
  if (!sealSignedBy(seal, index.key, signer)) return `the seal at #${position} is not signed by the database's signer`
  const treeHash = await index.treeHash(position)
  if (toHex(treeHash) !== toHex(seal.treeHash)) return `the seal at #${position} signs tree hash ${toHex(seal.treeHash).slice(0, 8)}…, the index log's is ${toHex(treeHash).slice(0, 8)}…`
  return null
}
