// A monitor's claims log: a Hypercore of its signed claims, in order, in the monitor's directory.
// The log is append-only and signed, so a monitor that claims two roots for one length has both in
// one log (or in two copies of it, which is a fork): equivocation is provable either way.

import type Hypercore from 'hypercore'
import { decode, encode } from '../codec/canonical.js'
import { toHex } from '../codec/hash.js'
import { checkClaim, signClaim, type Claim, type ClaimBody } from './claim.js'

export class ClaimsLog {
  constructor(readonly core: Hypercore) {}

  /** The monitor's public key (hex): the claims log's signer. */
  get monitor(): string {
    const signer = this.core.manifest?.signers[0]?.publicKey ?? this.core.keyPair?.publicKey
    if (!signer) throw new Error('the claims log has no signer')
    return toHex(signer)
  }

  get length(): number {
    return this.core.length
  }

  async get(seq: number): Promise<Claim> {
    const block = await this.core.get(seq)
    if (!block) throw new Error(`claim ${seq} is not available`)
    return checkClaim(decode(block))
  }

  async last(): Promise<Claim | null> {
    return this.core.length === 0 ? null : this.get(this.core.length - 1)
  }

  /** Claims from `start` on (default: all of them). */
  async list(start = 0, end = this.core.length): Promise<Claim[]> {
    const out: Claim[] = []
    for (let i = Math.max(0, start); i < Math.min(end, this.core.length); i++) out.push(await this.get(i))
    return out
  }

  /** The claim at exactly `length`, if the monitor made one. */
  async at(length: number): Promise<Claim | null> {
    for (let i = this.core.length - 1; i >= 0; i--) {
      const c = await this.get(i)
      if (c.length === length) return c
      if (c.length < length) return null
    }
    return null
  }

  /**
   * Waits until the monitor has claimed `length` or past it; resolves with the claim at exactly
   * `length`, or null when it claimed past it without claiming it, or when `signal` aborts.
   */
  async waitFor(length: number, signal: AbortSignal): Promise<Claim | null> {
    for (;;) {
      const last = await this.last()
      if (last && last.length >= length) return this.at(length)
      if (signal.aborted) return null
      await new Promise<void>((resolve) => {
        const done = () => {
          this.core.off('append', done)
          signal.removeEventListener('abort', done)
          resolve()
        }
        this.core.on('append', done)
        signal.addEventListener('abort', done)
      })
    }
  }

  /** Signs a claim with the log's key pair and appends it (it reaches the disk before it is served). */
  async append(body: Omit<ClaimBody, 'monitor'>): Promise<Claim> {
    const secretKey = this.core.keyPair?.secretKey
    if (!secretKey || !this.core.writable) throw new Error('only the monitor that owns this claims log can claim')
    const claim = signClaim({ ...body, monitor: this.monitor }, secretKey)
    await this.core.append(Buffer.from(encode(claim)))
    return claim
  }
}
