// The light client (docs/protocol.md §11.4, seed 003): it holds no logs. It fetches the executor's
// checkpoint and the trusted monitors' claims over HTTP, weighs the claims, follows the heaviest
// chain, and answers reads with the value, its state proof and the guarantee "either the root at L
// is X, or monitors of weight W signed a false claim". When monitors publish fraud proofs it has
// them judged statelessly, and it names every monitor whose claims are false with the evidence a
// third party can check alone. No Node-only dependency: it runs wherever fetch does.

import { parseNote, parseVerifierKey, signaturesBy, verifyNoteSignature } from '../codec/signed-note.js'
import { toHex } from '../codec/hash.js'
import type { Json } from '../vm/types.js'
import { keyOfSigner } from '../log/seal.js'
import { databaseOrigin, parseCheckpoint, sealFactsOf } from '../log/tlog-checkpoint.js'
import { fromHex } from '../codec/hash.js'
import { base64ToBytes } from '../codec/primitives.js'
import { verifyConsistency } from '../log/accumulator.js'
import { checkProof } from '../participant/check-proof.js'
import { ClaimsGraph, type Accusation, type ChainHead, type Vertex } from './claims-graph.js'
import type { TrustFile } from './trust-file.js'
import type { DisputeTranscript, DisputeVerdict } from '../dispute/transcript.js'

export interface LightClientOptions {
  fetch?: typeof fetch
  /** How long one request may take before its server counts as silent (default 10 s). */
  timeoutMs?: number
  /**
   * When the claims do not vouch for the executor's checkpoint with the threshold weight, re-execute
   * the entries since the last vouched root (or since genesis) from a proof of execution, if there
   * are at most this many (default 0: never).
   */
  reexecute?: number
}

export interface MonitorStatus {
  key: string
  name: string | null
  weight: number
  /** counted: its claims count; accused: see `accusations`; silent: it did not answer; no-url: nowhere to ask. */
  state: 'counted' | 'accused' | 'silent' | 'no-url'
  claims: number
  reason: string | null
}

export interface ExecutorCheckpoint {
  length: number
  stateRoot: string
  note: string
}

export interface LightView {
  database: string
  threshold: number
  /** The executor's latest signed checkpoint, checked against the database key; null if it did not answer. */
  checkpoint: ExecutorCheckpoint | null
  checkpointError: string | null
  /** The end of the heaviest chain of counted claims. */
  head: ChainHead | null
  /** Whether the head's weight reaches the threshold. */
  trusted: boolean
  /** Lengths at which counted claims disagree (each entry: the rival vertices, heaviest first). */
  conflicts: Vertex[][]
  monitors: MonitorStatus[]
  accusations: Accusation[]
  /** Claims refused for their form, with the monitor that served them. */
  refused: { monitor: string | null; reason: string }[]
  /** The range the light client re-executed itself (docs/protocol.md §11.6), and the root it reached. */
  reexecuted: { from: number; to: number; stateRoot: string; fromGenesis: boolean } | null
  reexecuteError: string | null
}

/** A dispute this client refereed over the executor's checkpoint, and its verdict. */
export interface LightDispute {
  checkpoint: ExecutorCheckpoint
  transcript: DisputeTranscript
  verdict: DisputeVerdict
}

export interface Guarantee {
  length: number
  stateRoot: string
  weight: number
  threshold: number
  trusted: boolean
  /** Whether counted claims name another root at `length`, or a proven fraud proof refutes it. */
  disputed: boolean
  /** Seed 003's statement, in words. */
  statement: string
}

export interface LightRead {
  key: string
  found: boolean
  value: Json
  /** The state proof file the answer rests on (docs/protocol.md §9.1). */
  proof: unknown
  guarantee: Guarantee
}

export class LightClientError extends Error {
  constructor(
    readonly code: 'LIGHT_UNREACHABLE' | 'LIGHT_BAD_ANSWER' | 'LIGHT_STALE' | 'LIGHT_SPLIT_VIEW',
    message: string,
  ) {
    super(message)
    this.name = 'LightClientError'
  }
}

export class LightClient {
  private readonly fetch: typeof fetch
  private readonly timeoutMs: number
  private graph: ClaimsGraph
  private view: LightView | null = null
  /** The latest executor checkpoint accepted: each later one must extend it (RFC 9162 consistency). */
  private accepted: { length: number; root: Uint8Array } | null = null

  constructor(
    readonly trust: TrustFile,
    private readonly opts: LightClientOptions = {},
  ) {
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis)
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.graph = new ClaimsGraph(trust)
  }

  /** Fetches the checkpoint, every trusted monitor's claims and fraud proofs, and weighs them. */
  async sync(): Promise<LightView> {
    this.graph = new ClaimsGraph(this.trust)
    let checkpoint: ExecutorCheckpoint | null = null
    let checkpointError: string | null = null
    try {
      checkpoint = await this.executorCheckpoint()
    } catch (err) {
      checkpointError = (err as Error).message
    }
    const monitors: MonitorStatus[] = []
    for (const m of this.trust.monitors) {
      const status: MonitorStatus = { key: m.key, name: m.name ?? null, weight: m.weight, state: 'counted', claims: 0, reason: null }
      monitors.push(status)
      if (!m.url) {
        Object.assign(status, { state: 'no-url', reason: 'the trust file gives no URL for its claims' })
        continue
      }
      try {
        const answer = (await this.getJson(`${m.url}/v1/claims`)) as { claims?: unknown }
        if (!Array.isArray(answer.claims)) throw new LightClientError('LIGHT_BAD_ANSWER', 'the claims answer holds no claims list')
        status.claims = answer.claims.length
        for (const c of answer.claims) this.graph.add(c, m.key)
        await this.judgeFraudProofs(m.url)
      } catch (err) {
        Object.assign(status, { state: 'silent', reason: (err as Error).message })
      }
    }
    this.graph.detectForks()
    let reexecuted: LightView['reexecuted'] = null
    let reexecuteError: string | null = null
    if (checkpoint && (this.opts.reexecute ?? 0) > 0) {
      const vouched = this.graph
        .vertices()
        .filter((v) => v.weight >= this.trust.threshold && v.length <= checkpoint.length)
        .sort((a, b) => b.length - a.length)[0]
      if (!vouched || vouched.length < checkpoint.length) {
        try {
          reexecuted = await this.reexecute(vouched ?? null, checkpoint)
        } catch (err) {
          reexecuteError = (err as Error).message
        }
      }
    }
    const accused = new Set(this.graph.accusations.map((a) => a.monitor))
    for (const s of monitors) {
      if (accused.has(s.key)) Object.assign(s, { state: 'accused', reason: this.graph.accusations.find((a) => a.monitor === s.key)?.reason ?? null })
    }
    const head = this.graph.head()
    const lengths = [...new Set(this.graph.vertices().map((v) => v.length))]
    const conflicts = lengths.map((l) => this.graph.at(l)).filter((vs) => vs.length > 1)
    const selfChecked = reexecuted !== null && checkpoint !== null && reexecuted.to === checkpoint.length && reexecuted.stateRoot === checkpoint.stateRoot
    this.view = {
      database: this.trust.database,
      threshold: this.trust.threshold,
      checkpoint,
      checkpointError,
      head,
      // An executor that serves no checkpoint, a stale one or a split view is not to be read from.
      trusted: checkpoint !== null && conflicts.length === 0 && ((head !== null && head.weight >= this.trust.threshold) || selfChecked),
      conflicts,
      monitors,
      accusations: [...this.graph.accusations],
      refused: [...this.graph.refused],
      reexecuted,
      reexecuteError,
    }
    return this.view
  }

  /**
   * Fetches a proof of execution from the vouched vertex (or genesis) to the checkpoint and
   * re-executes it. A fraud proof in its place refutes the claims past its entry.
   */
  private async reexecute(vouched: Vertex | null, checkpoint: ExecutorCheckpoint): Promise<LightView['reexecuted']> {
    const from = vouched ? vouched.length + 1 : 0
    const to = checkpoint.length
    if (vouched && to - from > (this.opts.reexecute ?? 0)) throw new LightClientError('LIGHT_BAD_ANSWER', `${to - from} entries to re-execute, more than the limit of ${this.opts.reexecute}`)
    const answer = (await this.getJson(`${this.trust.executor}/v1/execution-proof?from=${from}&to=${to}`)) as { range?: unknown; fraudProof?: unknown; reason?: string }
    if (answer.fraudProof) {
      const { judge } = await import('../verify/judge.js')
      const verdict = await judge(answer.fraudProof, { key: this.trust.database })
      if (verdict.verdict === 'proven') {
        this.graph.refute(verdict.seq, answer.fraudProof)
        throw new LightClientError('LIGHT_BAD_ANSWER', `re-execution found entry ${verdict.seq} breaks the contract (${verdict.class}): the checkpoint at ${to} is refuted`)
      }
    }
    if (!answer.range) throw new LightClientError('LIGHT_BAD_ANSWER', `no proof of execution for entries ${from}..${to - 1}: ${answer.reason ?? 'none served'}`)
    const { checkExecutionRange } = await import('./range-check.js')
    const checked = await checkExecutionRange(answer.range, this.trust.database)
    if (!checked.valid) {
      if (checked.breach) this.graph.refute(checked.breach.seq, checked.breach.fraudProof)
      throw new LightClientError('LIGHT_BAD_ANSWER', `the proof of execution does not hold: ${checked.reason}`)
    }
    if (vouched && (checked.from !== from || checked.fromRoot !== vouched.stateRoot)) throw new LightClientError('LIGHT_BAD_ANSWER', 'the proof of execution does not start from the vouched root')
    if (checked.toRoot !== checkpoint.stateRoot) throw new LightClientError('LIGHT_BAD_ANSWER', "the proof of execution does not end at the checkpoint's state root")
    if (!vouched && checked.to - checked.from > (this.opts.reexecute ?? 0)) throw new LightClientError('LIGHT_BAD_ANSWER', `${checked.to - checked.from} entries to re-execute, more than the limit of ${this.opts.reexecute}`)
    return { from: checked.from, to: checked.to, stateRoot: checked.toRoot, fromGenesis: !vouched }
  }

  /**
   * Settles whether the executor's checkpoint root is what the contract gives, without downloading
   * the range (docs/protocol.md §13): the monitor at `challengerUrl` (one whose own replay reaches
   * another root) challenges it, the executor's server defends it, and this client referees the
   * bisection and judges the one entry it ends on. A decided verdict against the executor refutes the
   * claims past that entry, as a proven fraud proof does; the transcript is the evidence.
   */
  async dispute(challengerUrl: string, opts: { from?: number; deadlineMs?: number } = {}): Promise<LightDispute> {
    const { HttpParty } = await import('../dispute/http-party.js')
    const { referee } = await import('../dispute/referee.js')
    const { judgeDispute } = await import('../dispute/transcript.js')
    const checkpoint = await this.executorCheckpoint()
    const defender = await HttpParty.connect(this.trust.executor, this.fetch)
    const challenger = await HttpParty.connect(challengerUrl, this.fetch)
    for (const [who, p] of [['the executor', defender], ['the challenger', challenger]] as const) {
      if (p.database !== this.trust.database) throw new LightClientError('LIGHT_BAD_ANSWER', `${who} disputes for database ${p.database.slice(0, 8)}…, not ${this.trust.database.slice(0, 8)}…`)
    }
    const asked = { defender: defender.key, toRoot: checkpoint.stateRoot, to: checkpoint.length, ...(opts.from === undefined ? {} : { from: opts.from }), ...(opts.deadlineMs === undefined ? {} : { deadline: opts.deadlineMs }) }
    const open = await challenger.challenge(asked)
    if (open.database !== this.trust.database || open.defender !== defender.key || open.to !== checkpoint.length || open.toRoot !== checkpoint.stateRoot || open.challenger !== challenger.key) {
      throw new LightClientError('LIGHT_BAD_ANSWER', 'the challenger opened another dispute than the one asked for')
    }
    const transcript = await referee(open, defender, challenger)
    const verdict = await judgeDispute(transcript, { key: this.trust.database })
    if (verdict.verdict === 'decided' && verdict.wrong === 'defender') this.graph.refute(verdict.at, transcript)
    return { checkpoint, transcript, verdict }
  }

  /**
   * Reads `key` from the executor with a state proof, and weighs the root it was proven at. The
   * proof is anchored to the latest seal, which monitors claim once they have replayed it: with
   * `waitMs`, claims are fetched again (every `pollMs`) until one covers that seal or time runs out.
   */
  async read(key: string, opts: { waitMs?: number; pollMs?: number } = {}): Promise<LightRead> {
    let view = this.view ?? (await this.sync())
    const answer = (await this.getJson(`${this.trust.executor}/v1/state/${encodeURIComponent(key)}?proof=true`)) as { proof?: unknown }
    let facts
    try {
      facts = checkProof(answer.proof, { key: this.trust.database })
    } catch (err) {
      throw new LightClientError('LIGHT_BAD_ANSWER', `the executor's proof for ${JSON.stringify(key)} is not valid: ${(err as Error).message}`)
    }
    if (!facts.valid || facts.kind !== 'state' || facts.state.kind !== 'key' || facts.state.key !== key) {
      throw new LightClientError('LIGHT_BAD_ANSWER', `the executor's proof for ${JSON.stringify(key)} does not prove that key${facts.valid ? '' : `: ${facts.reason}`}`)
    }
    const { length, stateRoot } = facts.seal
    const deadline = Date.now() + (opts.waitMs ?? 0)
    let guarantee = this.guaranteeAt(view, length, stateRoot)
    while (!guarantee.trusted && !guarantee.disputed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 250))
      view = await this.sync()
      guarantee = this.guaranteeAt(view, length, stateRoot)
    }
    return { key, found: facts.state.found, value: facts.state.value, proof: answer.proof, guarantee }
  }

  private guaranteeAt(view: LightView, length: number, stateRoot: string): Guarantee {
    const rivals = this.graph.at(length)
    const done = view.reexecuted
    if (done && done.to === length && done.stateRoot === stateRoot && rivals.every((v) => v.stateRoot === stateRoot)) {
      const since = done.fromGenesis ? 'the genesis seal (genesis itself was not re-executed)' : `the root monitors vouched for at length ${done.from - 1}`
      return { length, stateRoot, weight: rivals[0]?.weight ?? 0, threshold: view.threshold, trusted: true, disputed: false, statement: `the light client re-executed entries ${done.from}..${done.to - 1} itself, from ${since}, to state root ${stateRoot}` }
    }
    const mine = rivals.find((v) => v.stateRoot === stateRoot)
    const weight = mine?.weight ?? 0
    const disputed = rivals.some((v) => v.stateRoot !== stateRoot)
    // A proof anchored past a refuting fraud proof is anchored to a log shown to break the contract.
    if (length > this.graph.refutedFrom) {
      return { length, stateRoot, weight: 0, threshold: view.threshold, trusted: false, disputed: true, statement: `a proven fraud proof shows entry ${this.graph.refutedFrom} breaks the contract: the state at length ${length} is disputed` }
    }
    const threshold = view.threshold
    let statement: string
    if (disputed) statement = `monitors of weight ${rivals.filter((v) => v.stateRoot !== stateRoot).reduce((n, v) => n + v.weight, 0)} claim another state root at length ${length}: the answer is disputed`
    else if (weight > 0) statement = `either the state root at length ${length} is ${stateRoot}, or monitors of total weight ${weight} signed a false claim`
    else statement = `no counted claim covers length ${length} yet: only the executor's seal vouches for state root ${stateRoot}`
    return { length, stateRoot, weight, threshold, trusted: !disputed && weight >= threshold, disputed, statement }
  }

  private async executorCheckpoint(): Promise<ExecutorCheckpoint> {
    const answer = (await this.getJson(`${this.trust.executor}/v1/checkpoint`)) as { checkpoint?: { note?: unknown; verifierKey?: unknown } }
    const note = answer.checkpoint?.note
    const vkey = answer.checkpoint?.verifierKey
    if (typeof note !== 'string' || typeof vkey !== 'string') throw new LightClientError('LIGHT_BAD_ANSWER', 'the checkpoint answer holds no note and verifier key')
    const key = parseVerifierKey(vkey)
    if (key.name !== databaseOrigin(fromHex(this.trust.database)) || toHex(keyOfSigner(key.publicKey)) !== this.trust.database) {
      throw new LightClientError('LIGHT_BAD_ANSWER', "the checkpoint's verifier key is not the database's")
    }
    const parsed = parseNote(note)
    const [line] = signaturesBy(parsed, key)
    if (!line || !verifyNoteSignature(parsed.text, line, key)) throw new LightClientError('LIGHT_BAD_ANSWER', "the checkpoint is not signed by the database's executor")
    const { key: database, facts } = sealFactsOf(parseCheckpoint(parsed.text))
    if (database !== this.trust.database) throw new LightClientError('LIGHT_BAD_ANSWER', 'the checkpoint is of another database')
    await this.checkExtends(facts.length, facts.accumulator)
    this.accepted = { length: facts.length, root: facts.accumulator }
    return { length: facts.length, stateRoot: toHex(facts.stateRoot), note }
  }

  /**
   * A log only grows: a checkpoint shorter than one seen before is stale, and a longer one must come
   * with a consistency proof from the one seen before (else the executor shows a split view).
   */
  private async checkExtends(length: number, root: Uint8Array): Promise<void> {
    const seen = this.accepted
    if (!seen) return
    if (length < seen.length) throw new LightClientError('LIGHT_STALE', `the executor's checkpoint is at length ${length}, behind the one at ${seen.length} seen before`)
    if (length === seen.length) {
      if (toHex(root) !== toHex(seen.root)) throw new LightClientError('LIGHT_SPLIT_VIEW', `the executor signed two different logs of length ${length}`)
      return
    }
    const answer = (await this.getJson(`${this.trust.executor}/v1/checkpoint?consistency=${seen.length}&size=${length}`)) as { proof?: { hashes?: unknown } }
    const hashes = answer.proof?.hashes
    const proof = Array.isArray(hashes) ? hashes.map((h) => (typeof h === 'string' ? base64ToBytes(h) : null)) : null
    if (!proof || proof.some((h) => h === null) || !verifyConsistency(seen.length, length, seen.root, root, proof as Uint8Array[])) {
      throw new LightClientError('LIGHT_SPLIT_VIEW', `the executor's checkpoint at length ${length} does not provably extend the one at ${seen.length} seen before`)
    }
  }

  /** Judges the fraud proofs a monitor serves; each proven one refutes the claims past its entry. */
  private async judgeFraudProofs(url: string): Promise<void> {
    let records: unknown
    try {
      records = ((await this.getJson(`${url}/v1/fraud-proofs`)) as { fraudProofs?: unknown }).fraudProofs
    } catch {
      return // A server without a monitor serves none: nothing to judge.
    }
    if (!Array.isArray(records)) return
    const { judge } = await import('../verify/judge.js')
    for (const r of records as { proof?: unknown }[]) {
      if (!r || typeof r !== 'object' || !r.proof) continue
      const verdict = await judge(r.proof, { key: this.trust.database })
      if (verdict.verdict === 'proven') this.graph.refute(verdict.seq, r.proof)
    }
  }

  private getJson(url: string): Promise<unknown> {
    return fetchJson(url, this.timeoutMs, this.fetch)
  }
}

/** GETs `url` as JSON within `timeoutMs`; an unreachable server, an error status or non-JSON is a LightClientError. */
export async function fetchJson(url: string, timeoutMs: number, fetcher: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<unknown> {
  let res: Response
  try {
    res = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new LightClientError('LIGHT_UNREACHABLE', `${url}: ${(err as Error).message}`)
  }
  const text = await res.text()
  if (!res.ok) throw new LightClientError('LIGHT_UNREACHABLE', `${url}: HTTP ${res.status} ${text.slice(0, 200)}`)
  try {
    return JSON.parse(text)
  } catch {
    throw new LightClientError('LIGHT_BAD_ANSWER', `${url}: the answer is not JSON`)
  }
}
