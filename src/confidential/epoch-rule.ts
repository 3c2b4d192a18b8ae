// What a member's replay checks of the epochs a confidential index log is sealed under (docs/protocol.md
// §17.4): no entry may be readable by someone who is not a member when it is written. Epochs never go
// back; every member an entry's epoch is sealed to is the executor, a reader, or the signer of an input
// active at the start of the entry's block; and a block ends at the entry that changes the inputs.
// Derived from the logs alone (an input's key is the key of its signer's manifest), so every member's
// replay reaches the same verdict. Whether every member got the key is the executor's to keep: a
// member left out can no longer read, which it sees at once, but no outsider can read either.

import { toHex } from '../codec/hash.js'
import type { ConfidentialSettings, IndexEntry } from '../codec/messages.js'
import { SYS } from '../codec/messages.js'
import { keyOfSigner } from '../log/seal.js'
import type { Keyring } from './keyring.js'

export class EpochRule {
  /** The epoch of the last sealed entry. */
  private last = 0
  /** Who may read the current block's entries: the signer, the readers, and the inputs' keys at its start. */
  private allowed: { inputs: Set<string> } | null = null
  /** Set after an entry that changed the inputs: the next entry must be the block's seal. */
  private membersChanged = false

  constructor(
    private readonly keyring: Keyring,
    private readonly settings: ConfidentialSettings,
    private readonly signer: string,
  ) {}

  /**
   * Checks entry `seq`, sealed under `epoch` (-1: stored clear); null when it keeps the rule, else what
   * is wrong. Call `blockStart` after each seal with the inputs then.
   */
  async check(seq: number, epoch: number, entry: IndexEntry): Promise<string | null> {
    // The contract entry is clear when the header makes it public, and sealed otherwise.
    const clear = entry.type === 'header' || entry.type === 'seal' || (entry.type === 'contract' && this.settings.publicContract === true)
    if (clear !== (epoch < 0)) return clear ? `the ${entry.type} at #${seq} is stored sealed` : `entry #${seq} is stored in the clear`
    if (this.membersChanged && entry.type !== 'seal') {
      return `entry #${seq} follows a change of members in the same block: it is sealed for the members before the change`
    }
    if (entry.type === 'op') this.membersChanged = entry.changes.some((c) => c.key.startsWith(SYS.inputsPrefix))
    if (clear) return null
    if (epoch < this.last) return `entry #${seq} is sealed under epoch ${epoch}, older than epoch ${this.last} before it`
    this.last = epoch
    if (!this.allowed) return null // the genesis block: its epoch is checked at its seal
    if (!this.keyring.record(epoch)) await this.keyring.refresh()
    return this.outsiders(epoch, this.allowed.inputs, `entry #${seq}`)
  }

  /** After a seal: the inputs active from here, and (after genesis) the genesis epoch's members. */
  async blockStart(inputs: readonly string[]): Promise<string | null> {
    const first = this.allowed === null
    this.allowed = { inputs: new Set(inputs) }
    this.membersChanged = false
    if (!first) return null
    await this.keyring.refresh()
    return this.outsiders(0, this.allowed.inputs, 'the genesis entries')
  }

  private outsiders(epoch: number, inputs: ReadonlySet<string>, what: string): string | null {
    const record = this.keyring.record(epoch)
    if (!record) return `${what} is sealed under epoch ${epoch}, which the keys log does not hold`
    for (const member of Object.keys(record.members)) {
      if (member === this.signer || this.settings.readers.includes(member)) continue
      if (inputs.has(toHex(keyOfSigner(Buffer.from(member, 'hex'))))) continue
      return `${what} is sealed under epoch ${epoch}, whose key is sealed to ${member.slice(0, 8)}…, neither the executor, a reader, nor the signer of an active input`
    }
    return null
  }
}
