// The epoch keys one directory holds for a confidential database (docs/protocol.md §17.3): read from
// the keys log, opened with the directory's identities (the executor's signer, its oplogs' key pairs,
// a reader key), and extended down each chain of wrapped previous keys. The executor also rotates.

import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import { GlassboxError } from '../errors.js'
import { decodeEpoch, encodeEpoch, makeEpoch, newEpochKey, openEpoch, unwrapPrevious, type EpochRecord, type Identity } from './epochs.js'

/** A key this directory does not hold, or a keys log that is not one. */
export class KeyringError extends GlassboxError {}

export class Keyring {
  private readonly records: EpochRecord[] = []
  private readonly keys = new Map<number, Buffer>()
  private readonly identities: Identity[] = []
  private reading: Promise<void> | null = null

  constructor(readonly keysLog: Hypercore) {}

  /** Adds a key pair whose sealed epoch keys this keyring may open. */
  addIdentity(identity: Identity): void {
    if (this.identities.some((i) => toHex(i.publicKey) === toHex(identity.publicKey))) return
    this.identities.push(identity)
    this.resolve()
  }

  /** The number of epochs in the keys log as read so far. */
  get epochs(): number {
    return this.records.length
  }

  /** Epoch `epoch`'s record (as read so far), or undefined. */
  record(epoch: number): EpochRecord | undefined {
    return this.records[epoch]
  }

  /** Whether this keyring holds epoch `epoch`'s key. */
  holds(epoch: number): boolean {
    return this.keys.has(epoch)
  }

  /** Reads the records appended to the keys log since the last refresh and opens what it can. */
  refresh(): Promise<void> {
    this.reading ??= this.readNew().finally(() => (this.reading = null))
    return this.reading
  }

  private async readNew(): Promise<void> {
    // A replica's keys log may be behind the executor's: ask its peers first (at once when it has none).
    if (!this.keysLog.writable) await this.keysLog.update({ wait: true }).catch(() => false)
    const length = this.keysLog.length
    for (let n = this.records.length; n < length; n++) {
      const block = await this.keysLog.get(n)
      if (!block) throw new KeyringError('KEYS_LOG_MISSING', `the keys log has no record ${n} here`)
      const record = decodeEpoch(block)
      if (record.epoch !== n) throw new KeyringError('KEYS_LOG_MALFORMED', `keys log record ${n} names epoch ${record.epoch}`)
      this.records.push(record)
    }
    this.resolve()
  }

  /** Opens each epoch sealed to one of the identities, then unwraps every earlier key from a later one. */
  private resolve(): void {
    for (let n = this.records.length - 1; n >= 0; n--) {
      if (!this.keys.has(n)) {
        for (const identity of this.identities) {
          const key = openEpoch(this.records[n], identity)
          if (key) {
            this.keys.set(n, key)
            break
          }
        }
      }
      const key = this.keys.get(n)
      if (key && n > 0 && !this.keys.has(n - 1)) {
        const previous = unwrapPrevious(this.records[n], key)
        if (previous) this.keys.set(n - 1, previous)
      }
    }
  }

  /** Epoch `epoch`'s key, reading newer records first if the keys log has grown. */
  async keyOf(epoch: number): Promise<Buffer> {
    if (!this.keys.has(epoch)) await this.refresh()
    return this.keyHeld(epoch)
  }

  /** Epoch `epoch`'s key from what is read already. */
  keyHeld(epoch: number): Buffer {
    const key = this.keys.get(epoch)
    if (key) return key
    if (epoch >= this.records.length) throw new KeyringError('KEY_UNAVAILABLE', `epoch ${epoch} is not in the keys log (it has ${this.records.length})`)
    throw new KeyringError('KEY_UNAVAILABLE', `epoch ${epoch}'s key is not sealed to any key this directory holds (not a member then or since)`)
  }

  /** The newest epoch and its key: what a member seals new blocks under. */
  async current(): Promise<{ epoch: number; key: Buffer }> {
    await this.refresh()
    const epoch = this.records.length - 1
    if (epoch < 0) throw new KeyringError('KEY_UNAVAILABLE', 'the keys log holds no epoch yet')
    if (!this.member) throw new KeyringError('NOT_A_MEMBER', `the newest epoch (${epoch}) is not sealed to this directory's keys: it is not a member of the database now`)
    return { epoch, key: this.keyHeld(epoch) }
  }

  /** Whether this keyring holds the newest epoch's key (as read so far): whether it is a member now. */
  get member(): boolean {
    return this.records.length > 0 && this.keys.has(this.records.length - 1)
  }

  /**
   * Resolves once the newest epoch is sealed to one of the identities (the executor starts one when it
   * sees this directory's oplog become an input); NOT_A_MEMBER after `timeoutMs` without.
   */
  async waitForMembership(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      await this.refresh()
      if (this.member) return
      const left = deadline - Date.now()
      if (left <= 0) throw new KeyringError('NOT_A_MEMBER', `not a member after ${Math.round(timeoutMs / 1000)} s: no epoch of the keys log is sealed to this directory's keys (a member must make one of its oplogs an input, and the executor must see it online)`)
      // The next record, or the deadline: whichever comes first.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          this.keysLog.off('append', done)
          resolve()
        }
        const timer = setTimeout(done, left)
        this.keysLog.on('append', done)
      })
    }
  }

  /** The newest epoch as read so far, without reading the log: the executor's, which writes it. */
  get latest(): number {
    return this.records.length - 1
  }

  /**
   * The epoch in force at index position `position` (as read so far): the newest whose record starts
   * at or before it. The executor seals each block under the epoch it started there (or the latest),
   * so this gives the same epoch for a block appended again later (a standby's takeover, §18.3).
   */
  epochAt(position: number): number {
    let epoch = this.latest
    while (epoch > 0 && (this.records[epoch]?.from ?? 0) > position) epoch--
    return epoch
  }

  /** Members of epoch `epoch` (public keys, hex, sorted). */
  members(epoch: number): string[] {
    const record = this.records[epoch]
    return record ? Object.keys(record.members) : []
  }

  /**
   * Starts epoch `latest + 1` for `members` from index length `from` (the executor only): a new
   * random key, sealed to each member, with the previous key wrapped under it. Resolves once the
   * record is appended; the keyring uses the new epoch at once.
   */
  rotate(from: number, members: readonly string[], hold?: (at: number, blocks: Buffer[]) => Promise<void>): Promise<unknown> {
    const epoch = this.records.length
    const key = newEpochKey()
    const record = makeEpoch(epoch, from, key, epoch > 0 ? this.keyHeld(epoch - 1) : null, members)
    this.records.push(record)
    this.keys.set(epoch, key)
    const bytes = Buffer.from(encodeEpoch(record))
    // Record n sits at position n; a standby holds it before it is appended (failover/standby-hold.ts).
    return hold ? hold(epoch, [bytes]).then(() => this.keysLog.append(bytes)) : this.keysLog.append(bytes)
  }
}
