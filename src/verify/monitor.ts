// The monitor of seed 001 §2.3 and §3.5: verifies a database's logs entry by entry, keeps
// following them as they grow, persists how far it got so that a restart resumes rather than
// starting over, and reports the first breach it finds as a typed notice.

import { EventEmitter } from 'node:events'
import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import { describeBreach, type BreachNotice, type SignedRoot } from './breach.js'
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js'
import { checkRoot, signedRoot } from './heads.js'
import { sealHex, type BuiltProof } from './fraud-proof.js'
import { attachIndexHash, Replay, VerifyError, type ReplayLogs } from './replay.js'
import { DEFAULT_SEAL_TIMEOUT_MS, noticeKey, SealWatch, type LivenessNotice, type SealOverdueNotice } from './liveness.js'
import { OpWatch, type InputNow, type OpOverdueNotice } from './op-watch.js'
import { decodeEntry, type IndexEntry, type SealEntry } from '../codec/messages.js'
import { sealSignedBy, signerOf } from '../log/seal.js'
import { openStateCheckpoint, type VerifiedStateCheckpoint } from '../state/checkpoint/state-checkpoint.js'
import { readChunk, readManifest } from '../state/checkpoint/checkpoint-files.js'
import path from 'node:path'

export interface MonitorOptions {
  /** Where to persist the verified position and the roots seen; null keeps nothing. */
  checkpointPath?: string | null
  /** Called as entries are verified (for progress bars). */
  onProgress?: (verified: number, length: number) => void
  /** Persist the position every this many entries during a long pass. */
  checkpointEvery?: number
  /** Build the fraud proof of a breach found (in the report's `fraudProof`). */
  fraudProof?: boolean
  /** Report entries that stay unsealed this long (ms) with a seal-overdue notice (default 30 000). */
  sealTimeoutMs?: number
  /** Report an input's op left unacknowledged this long (ms) with an op notice (default 30 000). */
  opTimeoutMs?: number
  /** Start after this state checkpoint's seal instead of at genesis (it was checked against the seal). */
  base?: VerifiedStateCheckpoint
  /** Verify no further than this index length (a segment's end, docs/protocol.md §14.2); default: the head. */
  until?: number
}

export interface VerifyReport {
  valid: boolean
  key: string
  /** Index length verified against. */
  length: number
  /** Entries verified in total (including those of earlier runs). */
  verified: number
  /** The state root after the entries verified. */
  stateRoot: string
  /** Where this run started (0, the persisted position, or the entry after a state checkpoint's seal). */
  resumedFrom: number
  /** Op entries verified in this run. */
  ops: number
  breach: BreachNotice | null
  /** Liveness notices in force at the end of the pass (seal-overdue, op notices): never a breach, never invalid. */
  notices: LivenessNotice[]
  seconds: number
  /** With the `fraudProof` option and a breach: its proof, or why there is none. */
  fraudProof?: BuiltProof
}

/** Emits `verified` ({length}), `violation` (BreachNotice), `notice` (LivenessNotice) and `error` (Error). */
export class Monitor extends EventEmitter {
  private replay: Replay
  private breach: BreachNotice | null = null
  private readonly key: string
  private readonly heads = new Map<string, SignedRoot>()
  private indexHead: SignedRoot | null = null
  private running: Promise<VerifyReport> | null = null
  private rerun = false
  private watching = false
  private readonly watched = new Set<Hypercore>()
  private readonly kick = () => void this.follow()
  private resumedFrom = 0
  /** The length of the state checkpoint this run's state started from, if any (kept in the checkpoint file). */
  private base: number | null = null
  /** The last seal verified (kept in the checkpoint): after a rewrite, one half of a fork proof. */
  private sealSeen: { position: number; seal: string } | null = null
  private proof: BuiltProof | null = null
  private seals: SealWatch
  /** The seal-overdue notice in force, if any. */
  private overdue: SealOverdueNotice | null = null
  private ops: OpWatch
  /** The op notices in force. */
  private opNotices: OpOverdueNotice[] = []
  /** Past the replayed prefix (after a breach): how far the log was searched for seals, and the end of the last valid one. */
  private scanned = 0
  private scannedSealEnd = 0
  /** Wakes the monitor when a liveness notice falls due with no log growing to start a pass. */
  private livenessTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly logs: ReplayLogs,
    private readonly opts: MonitorOptions = {},
  ) {
    super()
    this.key = toHex(logs.index.key)
    this.replay = new Replay(logs)
    this.seals = new SealWatch(opts.sealTimeoutMs ?? DEFAULT_SEAL_TIMEOUT_MS)
    this.ops = new OpWatch(opts.opTimeoutMs ?? DEFAULT_SEAL_TIMEOUT_MS)
  }

  /** Index entries verified so far (a breach stops it at the offending entry). */
  get position(): number {
    return this.replay.position
  }

  /** The liveness notices in force now (seal-overdue, op notices); they never make the logs invalid. */
  notices(): LivenessNotice[] {
    return [...(this.overdue ? [this.overdue] : []), ...this.opNotices]
  }

  /** The index log's length as this monitor sees it now (its replica's, for a remote monitor). */
  get indexLength(): number {
    return this.logs.index.length
  }

  /** The last seal the replay verified, while no breach was found (claims are made about it). */
  get verifiedSeal(): SealEntry | null {
    return this.breach ? null : (this.replay.view.lastSeal?.seal ?? null)
  }

  /** From index position `from` on, an ack earlier than `ts` (ms) is a ts-backwards breach. */
  anchorTime(from: number, ts: number, why: string): void {
    this.replay.anchorTime(from, ts, why)
  }

  /** Loads the checkpoint (checking the logs were not rewritten since) and rebuilds the state. */
  async open(): Promise<void> {
    const saved = this.opts.checkpointPath ? await readCheckpoint(this.opts.checkpointPath, this.key) : null
    const base = this.opts.base
    // A saved run that started from this very checkpoint goes on where it stopped; any other starts at the base.
    if (base && saved?.base !== base.seal.length) {
      await this.replay.startFrom(base)
      this.base = base.seal.length
      this.resumedFrom = this.replay.position
      return
    }
    if (!saved) return
    this.sealSeen = saved.lastSeal ?? null
    const u = saved.unsealed
    if (u && Number.isSafeInteger(u.from) && Number.isFinite(u.since)) this.seals = new SealWatch(this.seals.timeoutMs, { from: u.from, since: u.since })
    if (saved.waitingOps && typeof saved.waitingOps === 'object') this.ops = new OpWatch(this.ops.timeoutMs, saved.waitingOps)
    if (saved.breach) {
      this.breach = saved.breach
      this.proof = { proof: null, reason: 'the breach was found by an earlier run (kept in the checkpoint); verify without the checkpoint to build its proof' }
      return
    }
    const conflict = await this.checkSavedRoots(saved)
    if (conflict) return
    if (saved.base === undefined) await this.replay.resumeAt(saved.verified)
    else await this.replay.resumeFrom(base ?? (await this.savedBase(saved.base)), saved.verified)
    this.base = saved.base ?? null
    this.resumedFrom = saved.verified
  }

  /** The state checkpoint a saved run started from, read from beside the checkpoint file and checked again. */
  private async savedBase(length: number): Promise<VerifiedStateCheckpoint> {
    const dir = path.dirname(this.opts.checkpointPath!)
    const manifest = await readManifest(dir, length)
    if (!manifest) {
      throw new VerifyError('CHECKPOINT_FORMAT', `${this.opts.checkpointPath} resumes from the state checkpoint at length ${length}, which ${dir} no longer keeps; sync again, or remove the file`)
    }
    return openStateCheckpoint(manifest, this.key, (i) => readChunk(dir, length, i), this.logs.keyring ? { keys: this.logs.keyring } : {})
  }

  /** Verifies every entry the index holds now. */
  async verifyToHead(): Promise<VerifyReport> {
    if (this.running) {
      this.rerun = true
      return this.running
    }
    this.running = this.pass().finally(() => (this.running = null))
    return this.running
  }

  /** Keeps verifying as the index log and oplogs grow, until stop(). */
  async watch(): Promise<VerifyReport> {
    this.watching = true
    this.watchCore(this.logs.index)
    return this.verifyToHead()
  }

  async stop(): Promise<void> {
    this.watching = false
    if (this.livenessTimer) clearTimeout(this.livenessTimer)
    this.livenessTimer = null
    for (const core of this.watched) {
      core.off('append', this.kick)
      core.off('truncate', this.kick)
    }
    this.watched.clear()
    while (this.running) await this.running.catch(() => {})
    this.replay.dispose()
  }

  private watchCore(core: Hypercore): void {
    if (this.watched.has(core)) return
    this.watched.add(core)
    core.on('append', this.kick)
    core.on('truncate', this.kick)
  }

  private async follow(): Promise<void> {
    if (!this.watching) return
    try {
      await this.verifyToHead()
      if (this.rerun) {
        this.rerun = false
        await this.verifyToHead()
      }
    } catch (err) {
      // After stop() nobody listens, and a pass cut short by closing logs is no failure.
      if (this.watching) this.emit('error', err)
    }
  }

  private async pass(): Promise<VerifyReport> {
    const started = performance.now()
    const index = this.logs.index
    const acksBefore = this.replay.view.acks.size
    if (!this.breach) await this.checkLiveRoots()
    const length = Math.min(index.length, this.opts.until ?? Infinity)
    // The root of what this pass reads, checked again at its end: a log rewritten while the pass
    // runs must not have its new head recorded as if it extended the old one.
    const reading: SignedRoot | null = this.breach ? null : { length, hash: toHex(await index.treeHash(length)), signature: null }
    const every = this.opts.checkpointEvery ?? 1000
    while (!this.breach && this.replay.position < length) {
      const notice = await this.replay.verifyNext()
      if (notice) {
        await this.report(await attachIndexHash(notice, index))
        break
      }
      this.opts.onProgress?.(this.replay.position, length)
      if (this.replay.position % every === 0) await this.save()
    }
    if (!this.breach) {
      const unfinished = await this.replay.checkGenesisComplete(length)
      if (unfinished) await this.report(await attachIndexHash(unfinished, index))
    }
    if (!this.breach) await this.noteHeads(reading)
    // Also after a breach: an executor that stops sealing then leaves the breach without a proof.
    const fresh: LivenessNotice[] = []
    await this.checkSeals(length, fresh)
    // Only with the whole index verified: an ack in an entry not verified yet would look missing.
    if (!this.breach && this.replay.position === length) this.checkOps(fresh)
    this.wakeForLiveness()
    if (!this.breach) {
      await this.save()
      this.emit('verified', { length: this.replay.position })
    }
    // After `verified`: whoever hears a notice finds the pass it came from already reported.
    for (const n of fresh) this.emit('notice', n)
    return {
      valid: this.breach === null,
      key: this.key,
      length,
      verified: this.replay.position,
      stateRoot: toHex(this.replay.view.state.root()),
      resumedFrom: this.resumedFrom,
      ops: this.replay.view.acks.size - acksBefore,
      breach: this.breach,
      notices: this.notices(),
      seconds: (performance.now() - started) / 1000,
      ...(this.opts.fraudProof && this.breach ? { fraudProof: this.proof ?? { proof: null, reason: 'no proof was built for this breach' } } : {}),
    }
  }

  /** Updates the seal-overdue notice for an index of `length` entries; a new one goes to `fresh`. */
  private async checkSeals(length: number, fresh: LivenessNotice[]): Promise<void> {
    const end = await this.sealedEnd(length)
    if (end === null) return
    const was = this.overdue
    this.overdue = this.seals.observe(end, length, Date.now())
    if (this.overdue && was?.from !== this.overdue.from) fresh.push(this.overdue)
  }

  /** Updates the op notices (new ones go to `fresh`): every active input's ops against what the verified index acknowledged. */
  private checkOps(fresh: LivenessNotice[]): void {
    // The heads noteHeads just checked and recorded (and watches): every input's, and the index's.
    const view = this.replay.view
    const inputs: InputNow[] = []
    for (const oplog of view.inputs()) {
      const head = this.heads.get(oplog)
      if (head) inputs.push({ oplog, lastSeq: view.lastSeq.get(oplog) ?? -1, head })
    }
    if (!this.indexHead) return
    const told = new Set(this.opNotices.map(noticeKey))
    this.opNotices = this.ops.observe(inputs, this.indexHead, Date.now())
    for (const n of this.opNotices) if (!told.has(noticeKey(n))) fresh.push(n)
  }

  /** While watching, passes again when the next liveness notice falls due, in case no log grows before. */
  private wakeForLiveness(): void {
    if (this.livenessTimer) clearTimeout(this.livenessTimer)
    this.livenessTimer = null
    if (!this.watching) return
    const now = Date.now()
    const due = [this.overdue ? null : this.seals.dueIn(now), this.breach ? null : this.ops.dueIn(now)].filter((d): d is number => d !== null)
    if (due.length === 0) return
    this.livenessTimer = setTimeout(() => {
      this.livenessTimer = null
      void this.follow()
    }, Math.min(...due))
  }

  /**
   * The length the last valid seal covers (the seal included); null when a block is not held yet.
   * The replayed prefix knows its last seal; past it (after a breach) the log is searched from its
   * end, and a seal counts only if it sits at its length and signs the log there.
   */
  private async sealedEnd(length: number): Promise<number | null> {
    const last = this.replay.view.lastSeal
    const replayed = last ? last.position + 1 : 0
    const index = this.logs.index
    const floor = Math.max(this.scanned, this.replay.position)
    for (let at = length - 1; at >= floor; at--) {
      const block = await index.get(at, { wait: false })
      if (!block) return null
      const entry = decodeOrNull(block)
      if (entry?.type !== 'seal' || entry.length !== at || !sealSignedBy(entry, index.key, signerOf(index))) continue
      if (toHex(entry.treeHash) !== toHex(await index.treeHash(at))) continue
      this.scannedSealEnd = at + 1
      break
    }
    this.scanned = Math.max(this.scanned, length)
    return Math.max(replayed, this.scannedSealEnd)
  }

  /**
   * Records the heads of the index and of every input seen, to catch later rewrites. Each head must
   * extend what was seen before: the last recorded head, the root this pass read the index at, and
   * the oplog roots the acks verified in this pass named (a fork during the pass is not absorbed).
   */
  private async noteHeads(reading: SignedRoot | null): Promise<void> {
    const indexHead = await this.advance(this.logs.index, [this.indexHead, reading], 'index', null)
    if (!indexHead) return
    this.indexHead = indexHead
    const oplogs = new Set([...this.replay.view.inputs(), ...this.replay.ackedRoots.keys()])
    for (const pubkey of oplogs) {
      const core = await this.logs.oplog(pubkey)
      if (this.watching) this.watchCore(core)
      const acked = this.replay.ackedRoots.get(pubkey)
      const head = await this.advance(core, [this.heads.get(pubkey), acked && { ...acked, signature: null }], 'oplog', pubkey)
      if (!head) return
      this.heads.set(pubkey, head)
    }
  }

  /** A log's head now, once checked against roots seen earlier; null after reporting a conflict. */
  private async advance(core: Hypercore, seen: (SignedRoot | null | undefined)[], kind: 'index' | 'oplog', oplog: string | null): Promise<SignedRoot | null> {
    const head = await signedRoot(core)
    for (const root of seen) {
      if (!root) continue
      const conflict = await checkRoot(core, root, kind)
      if (conflict) {
        await this.reportConflict(conflict, oplog)
        return null
      }
    }
    return head
  }

  private async checkLiveRoots(): Promise<void> {
    if (this.indexHead) {
      const conflict = await checkRoot(this.logs.index, this.indexHead, 'index')
      if (conflict) return this.reportConflict(conflict, null)
    }
    for (const [pubkey, seen] of this.heads) {
      const conflict = await checkRoot(await this.logs.oplog(pubkey), seen, 'oplog')
      if (conflict) return this.reportConflict(conflict, pubkey)
    }
  }

  private async checkSavedRoots(saved: Checkpoint): Promise<boolean> {
    this.indexHead = saved.heads.index
    for (const [pubkey, root] of Object.entries(saved.heads.oplogs)) this.heads.set(pubkey, root)
    await this.checkLiveRoots()
    return this.breach !== null
  }

  /**
   * A fork a peer served during replication (net/remote-logs.ts): Hypercore refused the peer's log
   * and closed this replica's sessions, so the notice is built from the roots held here (the last
   * head verified) and the conflicting root the peer signed. The same classes as a rewrite seen locally.
   */
  async forkServed(fork: { oplog: string | null; after: SignedRoot }): Promise<void> {
    if (this.breach) return
    const kind = fork.oplog ? 'oplog' : 'index'
    const before = (fork.oplog ? this.heads.get(fork.oplog) : this.indexHead) ?? { length: 0, hash: '', signature: null }
    await this.reportConflict(
      {
        class: fork.oplog ? 'oplog-forked' : 'index-rewritten',
        message: `a peer served the ${kind} log with another signed root at length ${fork.after.length} (tree hash ${fork.after.hash.slice(0, 8)}…) than the one this replica holds`,
        before,
        after: fork.after,
      },
      fork.oplog,
    )
  }

  private async reportConflict(conflict: { class: BreachNotice['class']; message: string; before: SignedRoot; after: SignedRoot }, oplog: string | null): Promise<void> {
    const seq = Math.min(conflict.before.length, conflict.after.length)
    await this.report({
      class: conflict.class,
      seq: oplog ? this.replay.position : seq,
      path: null,
      message: conflict.message,
      expected: conflict.before as unknown as BreachNotice['expected'],
      found: conflict.after as unknown as BreachNotice['found'],
      evidence: {
        index: this.key,
        indexLength: this.indexHead?.length ?? 0,
        indexHash: this.indexHead?.hash ?? '',
        ...(oplog ? { oplog } : {}),
        before: conflict.before,
        after: conflict.after,
      },
    })
  }

  private async report(notice: BreachNotice): Promise<void> {
    this.breach = notice
    // Now, while the replay state is the pre-state of the offending entry.
    if (this.opts.fraudProof) {
      this.proof = await this.replay.fraudProof(notice, this.sealSeen).catch((err: Error) => ({ proof: null, reason: `the proof could not be built: ${err.message}` }))
    }
    // The notice is published even when the checkpoint cannot be written (e.g. a replica Hypercore
    // closed on a fork): losing it would hide the breach.
    await this.save().catch((err: Error) => this.emit('error', err))
    this.emit('violation', notice)
  }

  private async save(): Promise<void> {
    const verified = this.replay.position
    const last = this.replay.view.lastSeal
    if (last && last.position < verified && last.position !== this.sealSeen?.position) this.sealSeen = { position: last.position, seal: sealHex(last.seal) }
    if (!this.opts.checkpointPath) return
    await writeCheckpoint(this.opts.checkpointPath, {
      format: 'glassbox-monitor/1',
      index: this.key,
      verified,
      heads: {
        // Mid-pass, the head of the last pass may be behind `verified`: record a root that covers it.
        index: this.indexHead && this.indexHead.length >= verified ? this.indexHead : { length: verified, hash: toHex(await this.logs.index.treeHash(verified)), signature: null },
        oplogs: Object.fromEntries(this.heads),
      },
      breach: this.breach,
      ...(this.sealSeen ? { lastSeal: this.sealSeen } : {}),
      ...(this.base === null ? {} : { base: this.base }),
      ...(this.seals.unsealed ? { unsealed: this.seals.unsealed } : {}),
      ...(Object.keys(this.ops.saved).length > 0 ? { waitingOps: this.ops.saved } : {}),
    })
  }
}

export { describeBreach }

function decodeOrNull(block: Uint8Array): IndexEntry | null {
  try {
    return decodeEntry(block)
  } catch {
    return null
  }
}
