// Hypercore block encryption for a confidential database's index log (docs/protocol.md §17.2): every
// entry is sealed under the current epoch except the header and the seals, which stay clear so that
// peers without a key can still check the signed seals, the tree hashes and forks. Readers of the
// session get the entries' bytes, as for any other database.

import type Hypercore from 'hypercore'
import type { HypercoreEncryptionProvider } from 'hypercore'
import { toHex } from '../codec/hash.js'
import type { Disclosure, Discloser } from '../log/sealed-entry.js'
import { decodeEntry } from '../codec/messages.js'
import { blockKey, ENVELOPE_BYTES, envelopeHead, envelopeNonce, EnvelopeError, indexNonce, openInPlace, sealInPlace } from './envelope.js'
import type { Keyring } from './keyring.js'

export class IndexEncryption implements HypercoreEncryptionProvider, Discloser {
  /** Stored bytes the executor computed for positions not yet appended: the append copies them. */
  private readonly planned = new Map<number, { plaintext: Uint8Array; stored: Buffer }>()
  /** The epochs of the blocks opened lately (-1: clear), for the replay's epoch rule; bounded. */
  private readonly seen = new Map<number, number>()

  constructor(
    private readonly keyring: Keyring,
    private readonly logKey: Uint8Array,
    /** The index log the encryption is set on (to read a stored block for disclosure). */
    private readonly index: () => Hypercore,
    /** Whether the genesis contract entry stays clear (the header's `publicContract`). */
    private readonly publicContract = false,
  ) {}

  padding(): number {
    return ENVELOPE_BYTES
  }

  /**
   * The bytes Hypercore will store for `plaintext` at `position`: the executor hashes them into the
   * seal's tree hash before the append, which then writes exactly these (the nonce is derived from
   * the position and the bytes, and the epoch is remembered for the append).
   */
  stored(position: number, plaintext: Uint8Array): Buffer {
    const stored = Buffer.alloc(ENVELOPE_BYTES + plaintext.length)
    stored.set(plaintext, ENVELOPE_BYTES)
    this.sealAt(position, stored, isClearEntry(plaintext, this.publicContract) ? -1 : this.keyring.epochAt(position))
    this.planned.set(position, { plaintext, stored })
    return stored
  }

  encrypt(index: number, block: Buffer): void {
    const planned = this.planned.get(index)
    this.planned.delete(index)
    // What the seal's tree hash was computed over, if these are the bytes it was computed for.
    if (planned && planned.stored.length === block.length && Buffer.compare(planned.plaintext, block.subarray(ENVELOPE_BYTES)) === 0) {
      block.set(planned.stored)
      return
    }
    this.sealAt(index, block, isClearEntry(block.subarray(ENVELOPE_BYTES), this.publicContract) ? -1 : this.keyring.epochAt(index))
  }

  async decrypt(index: number, block: Buffer): Promise<void> {
    try {
      const head = envelopeHead(block)
      this.remember(index, head.sealed ? head.epoch : -1)
      if (!head.sealed) return
      const key = await this.keyring.keyOf(head.epoch)
      openInPlace(block, blockKey(key, this.logKey, envelopeNonce(block)))
    } catch (err) {
      const e = err as EnvelopeError
      throw new EnvelopeError(e.code ?? 'ENVELOPE_UNOPENED', `index entry #${index}: ${e.message}`, { cause: err })
    }
  }

  /** The epoch block `position` is sealed under (-1: clear), from the blocks opened lately or the log. */
  async epochAt(position: number): Promise<number> {
    const known = this.seen.get(position)
    if (known !== undefined) return known
    const stored = await this.index().get(position, { raw: true })
    if (!stored) throw new EnvelopeError('ENVELOPE_MALFORMED', `index entry #${position} is not available`)
    const head = envelopeHead(stored)
    return head.sealed ? head.epoch : -1
  }

  private remember(position: number, epoch: number): void {
    this.seen.set(position, epoch)
    if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value as number)
  }

  /** One block's envelope and block key, for a proof that shows that entry and nothing else. */
  async disclose(position: number): Promise<Disclosure> {
    const stored = await this.index().get(position, { raw: true })
    if (!stored) throw new EnvelopeError('ENVELOPE_MALFORMED', `index entry #${position} is not available`)
    const envelope = stored.subarray(0, ENVELOPE_BYTES)
    const head = envelopeHead(stored)
    if (!head.sealed) return { envelope: toHex(envelope), blockKey: null }
    const key = await this.keyring.keyOf(head.epoch)
    return { envelope: toHex(envelope), blockKey: toHex(blockKey(key, this.logKey, envelopeNonce(stored))) }
  }

  private sealAt(position: number, stored: Buffer, epoch: number): void {
    if (epoch < 0) return sealInPlace(stored, this.logKey, null)
    const epochKey = this.keyring.keyHeld(epoch)
    sealInPlace(stored, this.logKey, { epoch, epochKey, nonce: indexNonce(epochKey, position, stored.subarray(ENVELOPE_BYTES)) })
  }
}

/**
 * Whether an index entry stays clear: the header and the seals, and the contract entry when the
 * header makes it public. The cheap test first (their first map key).
 */
export function isClearEntry(bytes: Uint8Array, publicContract = false): boolean {
  // A canonical map: tag 0x07, a varint count, then the first key as a varint length and its bytes.
  if (bytes[0] !== 0x07 || bytes.length < 4) return false
  const n = bytes[2]
  const first = Buffer.from(bytes.buffer, bytes.byteOffset + 3, Math.min(n, bytes.length - 3)).toString('latin1')
  // A seal's first key is `handover` when it has one (§18.3), else `length`.
  if (first !== 'length' && first !== 'handover' && first !== 'confidential' && first !== 'protocol' && !(publicContract && first === 'code')) return false
  try {
    const type = decodeEntry(bytes).type
    return type === 'header' || type === 'seal' || (publicContract && type === 'contract')
  } catch {
    return false
  }
}
