// What an in-process monitor has found, kept up to date from its events: how far it verified, the
// breach it stopped at, and the fraud proof it built. The monitor only reports through events and
// reports, so a status that starts after the monitor asks it for a report once to catch up.

import { toJson } from '../../codec/json.js'
import type { BreachNotice } from '../../verify/breach.js'
import type { LivenessNotice } from '../../verify/liveness.js'
import type { FraudProof } from '../../verify/fraud-proof.js'
import type { Monitor, VerifyReport } from '../../verify/monitor.js'

export interface VerificationSnapshot {
  /** True while the monitor keeps verifying new entries; a monitor stops at its first breach. */
  following: boolean
  /** null until the monitor has reported once; then false once a breach was found. */
  valid: boolean | null
  /** Index entries verified. */
  verifiedLength: number
  /** Index entries this database holds now. */
  indexLength: number
  breach: BreachNotice | null
  /** Liveness notices in force (seal-overdue): the executor stopped sealing. Never a breach; valid is unchanged. */
  notices: LivenessNotice[]
  /** The last error the monitor reported (it keeps following after one), or null. */
  error: { code: string; message: string } | null
  /** When the monitor last reported (ISO 8601), or null. */
  updatedAt: string | null
}

/** A breach's fraud proof, or why there is none. */
export interface FraudProofRecord {
  n: number
  class: BreachNotice['class']
  seq: number
  proof: FraudProof | null
  reason: string | null
}

export interface StatusEvents {
  /** Called once per breach, when the monitor reports it. */
  onBreach?(notice: BreachNotice): void
  /** Called with errors the monitor reports. */
  onError?(err: Error): void
}

const NO_PROOF_OPTION = 'the monitor was started without fraudProof: true, so it built no proof'

export class VerificationStatus {
  private verified = 0
  private reported = false
  private breach: BreachNotice | null = null
  private lastError: { code: string; message: string } | null = null
  private updatedAt: string | null = null
  private proof: Promise<FraudProofRecord> | null = null
  private closed = false
  private readonly watchers = new Set<() => void>()

  private readonly onVerified = ({ length }: { length: number }) => {
    this.verified = Math.max(this.verified, length)
    this.reported = true
    this.touch()
  }

  private readonly onViolation = (notice: BreachNotice) => this.noteBreach(notice, null)

  /** A liveness notice changes the snapshot's `notices` without a verified event. */
  private readonly onNotice = () => this.touch()

  private readonly onError = (err: Error) => {
    const raw: unknown = (err as { code?: unknown }).code
    const code = typeof raw === 'string' ? raw : 'MONITOR_ERROR'
    this.lastError = { code, message: err.message }
    this.touch()
    this.events.onError?.(err)
  }

  constructor(
    private readonly monitor: Monitor,
    private readonly events: StatusEvents = {},
  ) {
    monitor.on('verified', this.onVerified)
    monitor.on('violation', this.onViolation)
    monitor.on('error', this.onError)
    monitor.on('notice', this.onNotice)
    // The monitor may have verified (or found a breach) before this status listened.
    void monitor.verifyToHead().then(
      (report) => this.catchUp(report),
      (err: Error) => this.onError(err),
    )
  }

  snapshot(indexLength: number): VerificationSnapshot {
    return {
      following: this.breach === null && !this.closed,
      valid: this.reported ? this.breach === null : null,
      // Entries count as verified once a pass reports them: its position reaches the head before
      // the pass's last checks (genesis, heads, seals), which may still find a breach. After a
      // breach, the monitor's own count, since the breach is emitted before its pass reports.
      verifiedLength: this.breach === null ? this.verified : Math.max(this.verified, this.monitor.position),
      indexLength,
      breach: this.breach,
      notices: toJson(this.monitor.notices()) as unknown as LivenessNotice[],
      error: this.lastError,
      updatedAt: this.updatedAt,
    }
  }

  /** The breach notices seen: none, or the one the monitor stopped at. */
  breaches(): BreachNotice[] {
    return this.breach ? [this.breach] : []
  }

  /** The fraud proofs of the breaches seen (waits for one still being built). */
  async fraudProofs(): Promise<FraudProofRecord[]> {
    return this.proof ? [await this.proof] : []
  }

  /** Calls `fn` whenever the snapshot may have changed (for the live events route); returns the unsubscribe. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn)
    return () => this.watchers.delete(fn)
  }

  close(): void {
    this.closed = true
    this.watchers.clear()
    this.monitor.off('verified', this.onVerified)
    this.monitor.off('violation', this.onViolation)
    this.monitor.off('error', this.onError)
    this.monitor.off('notice', this.onNotice)
  }

  private catchUp(report: VerifyReport): void {
    if (this.closed) return
    this.verified = Math.max(this.verified, report.verified)
    this.reported = true
    this.touch()
    if (report.breach) this.noteBreach(report.breach, report)
  }

  private noteBreach(notice: BreachNotice, report: VerifyReport | null): void {
    if (this.breach) return
    this.breach = toJson(notice) as unknown as BreachNotice
    this.reported = true
    this.touch()
    // The proof was built before the notice was emitted; the report of the pass that found it carries it.
    const built = report ? Promise.resolve(report) : this.monitor.verifyToHead()
    this.proof = built.then(
      (r) => record(notice, r),
      (err: Error) => ({ ...recordBase(notice), proof: null, reason: `the monitor failed while building the proof: ${err.message}` }),
    )
    this.events.onBreach?.(notice)
  }

  private touch(): void {
    this.updatedAt = new Date().toISOString()
    for (const fn of this.watchers) fn()
  }
}

function recordBase(notice: BreachNotice): Pick<FraudProofRecord, 'n' | 'class' | 'seq'> {
  return { n: 0, class: notice.class, seq: notice.seq }
}

function record(notice: BreachNotice, report: VerifyReport): FraudProofRecord {
  const built = report.fraudProof
  if (!built) return { ...recordBase(notice), proof: null, reason: NO_PROOF_OPTION }
  return { ...recordBase(notice), proof: built.proof ? (toJson(built.proof) as unknown as FraudProof) : null, reason: built.reason }
}
