// Makes a monitor a claimer (docs/protocol.md §11): each time it has verified the log through a
// newer seal, it appends a signed claim about that checkpoint to its claims log, conditional on its
// previous claim, and from then on holds the executor to the cosignature's time: no entry after the
// checkpoint may be acknowledged earlier than that (less an allowance for clock skew).

import { EventEmitter } from 'node:events'
import { toHex } from '../codec/hash.js'
import type { SealEntry } from '../codec/messages.js'
import { rootOfPeaks } from '../log/accumulator.js'
import { EMPTY_ROOT } from '../state/auth/node-hash.js'
import type { Monitor } from '../verify/monitor.js'
import type { Claim } from './claim.js'
import type { ClaimsLog } from './claims-log.js'

/** How far the executor's clock may be behind the monitor's before a backdated ack is a breach. */
export const DEFAULT_CLOCK_SKEW_MS = 60_000

export interface ClaimerOptions {
  /** The monitor's clock (ms since 1970); cosignatures carry it in whole seconds. */
  now?: () => number
  clockSkewMs?: number
  /**
   * Hold later acks to each cosignature's time (default true). Sound only where the monitor sees
   * the executor's appends as they happen (the same process or directory): a replica that lags may
   * receive, after it cosigned, entries the executor acknowledged before. Remote monitors pass false.
   */
  anchorTime?: boolean
}

/** Emits `claim` (Claim) after each claim is on the log, and `error`. */
export class Claimer extends EventEmitter {
  private last: Claim | null = null
  private chain: Promise<unknown> = Promise.resolve()
  private readonly now: () => number
  private readonly skewMs: number
  private readonly onVerified = () => {
    this.chain = this.chain.then(() => this.claimLatest()).catch((err: Error) => this.emit('error', err))
  }

  private constructor(
    private readonly monitor: Monitor,
    readonly log: ClaimsLog,
    private readonly database: string,
    private readonly signer: string,
    opts: ClaimerOptions,
  ) {
    super()
    this.now = opts.now ?? Date.now
    this.skewMs = opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS
    this.anchoring = opts.anchorTime ?? true
  }

  private readonly anchoring: boolean

  /**
   * Starts claiming for `monitor` (of the database `database`, whose index log `signer` signs) into
   * `log`; claims what the monitor has verified already.
   */
  static async attach(monitor: Monitor, log: ClaimsLog, database: string, signer: string, opts: ClaimerOptions = {}): Promise<Claimer> {
    const claimer = new Claimer(monitor, log, database, signer, opts)
    claimer.last = await log.last()
    if (claimer.last && claimer.last.database !== database) throw new Error(`the claims log holds claims about database ${claimer.last.database.slice(0, 8)}…, not ${database.slice(0, 8)}…`)
    monitor.on('verified', claimer.onVerified)
    claimer.onVerified()
    return claimer
  }

  /** Resolves once every claim due so far is on the log. */
  async settled(): Promise<void> {
    let seen: Promise<unknown> | null = null
    while (seen !== this.chain) {
      seen = this.chain
      await seen
    }
  }

  detach(): void {
    this.monitor.off('verified', this.onVerified)
  }

  private async claimLatest(): Promise<void> {
    const seal: SealEntry | null = this.monitor.verifiedSeal
    if (!seal || (this.last && seal.length <= this.last.length) || seal.length === 0) return
    // Every entry the log holds now was acknowledged before the cosignature about to be made.
    const seen = this.monitor.indexLength
    const claim = await this.log.append({
      database: this.database,
      length: seal.length,
      previousLength: this.last?.length ?? 0,
      previousStateRoot: this.last?.stateRoot ?? toHex(EMPTY_ROOT),
      entriesRoot: toHex(rootOfPeaks(seal.peaks)),
      stateRoot: toHex(seal.stateRoot),
      treeHash: toHex(seal.treeHash),
      positions: toHex(seal.positions),
      signer: this.signer,
      sealSignature: toHex(seal.signature),
      time: Math.floor(this.now() / 1000),
    })
    this.last = claim
    if (this.anchoring) this.anchor(claim, seen)
    this.emit('claim', claim)
  }

  /** Entries appended after the claim (past what the log held when it was made) were acknowledged after it. */
  private anchor(claim: Claim, seen: number): void {
    this.monitor.anchorTime(Math.max(seen, claim.length + 1), claim.time * 1000 - this.skewMs, `monitor ${claim.monitor.slice(0, 8)}… cosigned the checkpoint at length ${claim.length}, less ${this.skewMs} ms of clock skew`)
  }
}
