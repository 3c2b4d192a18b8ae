// The claims graph of a light client (docs/protocol.md §11.4, seed 003): state roots as vertices,
// each monitor's chain of conditional claims as edges from the empty state at length 0, trust as
// weight. Claims that are false on their face, monitors that equivocate and claims refuted by a
// proven fraud proof are set aside with the evidence a third party needs. Browser-safe.

import { toHex } from '../codec/hash.js'
import { EMPTY_ROOT } from '../state/auth/node-hash.js'
import { checkClaimAbout, claimCheckpointText, ClaimError, equivocation, FalseClaim, type Claim } from './claim.js'
import type { TrustFile } from './trust-file.js'

/** Why a monitor's claims do not count, with what proves it. */
export type Accusation =
  | { kind: 'false-claim'; monitor: string; reason: string; claim: Claim }
  | { kind: 'equivocation'; monitor: string; reason: string; claims: [Claim, Claim] }
  | { kind: 'refuted'; monitor: string; reason: string; claim: Claim; fraudProof: unknown; seq: number }
  /** Here `monitor` is the executor's key: two claims show it signed two checkpoints of one length. */
  | { kind: 'executor-fork'; monitor: string; reason: string; claims: [Claim, Claim] }

export interface Vertex {
  length: number
  stateRoot: string
  /** Total weight of the counted monitors whose chain of claims reaches this vertex. */
  weight: number
  monitors: string[]
}

export interface ChainHead {
  length: number
  stateRoot: string
  /** Seed 003's guarantee: either the root at `length` is `stateRoot`, or monitors of this weight signed a false claim. */
  weight: number
  monitors: string[]
}

const GENESIS = (): Vertex => ({ length: 0, stateRoot: toHex(EMPTY_ROOT), weight: Infinity, monitors: [] })
const vertexId = (length: number, root: string) => `${length}:${root}`

export class ClaimsGraph {
  private readonly claims = new Map<string, Claim[]>()
  private readonly weights = new Map<string, number>()
  readonly accusations: Accusation[] = []
  /** Claims refused for their form (malformed, another database, bad signature): nobody to accuse. */
  readonly refused: { monitor: string | null; reason: string }[] = []

  constructor(private readonly trust: TrustFile) {
    for (const m of trust.monitors) this.weights.set(m.key, m.weight)
  }

  /**
   * Adds a claim fetched from the monitor `from` (its key). Returns null when it counts, else why
   * not; nothing about the graph changes for a claim that does not count.
   */
  add(value: unknown, from: string): string | null {
    let claim: Claim
    try {
      claim = checkClaimAbout(value, this.trust.database)
    } catch (err) {
      if (err instanceof FalseClaim) {
        if (this.weights.has(err.claim.monitor)) this.accuse({ kind: 'false-claim', monitor: err.claim.monitor, reason: err.message, claim: err.claim })
        return err.message
      }
      const reason = err instanceof ClaimError ? err.message : String(err)
      this.refused.push({ monitor: from, reason })
      return reason
    }
    if (claim.monitor !== from) {
      const reason = `a claim by monitor ${claim.monitor.slice(0, 8)}… was served as ${from.slice(0, 8)}…'s`
      this.refused.push({ monitor: from, reason })
      return reason
    }
    if (!this.weights.has(claim.monitor)) {
      this.refused.push({ monitor: from, reason: 'the monitor is not in the trust file' })
      return 'the monitor is not in the trust file'
    }
    const mine = this.claims.get(claim.monitor) ?? []
    if (mine.some((c) => c.signature === claim.signature)) return null
    for (const other of mine) {
      const why = equivocation(other, claim)
      if (why) this.accuse({ kind: 'equivocation', monitor: claim.monitor, reason: `monitor ${claim.monitor.slice(0, 8)}… equivocates: ${why}`, claims: [other, claim] })
    }
    mine.push(claim)
    mine.sort((a, b) => a.length - b.length)
    this.claims.set(claim.monitor, mine)
    return null
  }

  /**
   * A fraud proof the judge found proven, for the entry at `seq`: every claim that the log is valid
   * through a length past `seq` is false, and its monitor is accused with the claim and the proof.
   */
  refute(seq: number, fraudProof: unknown): void {
    for (const [monitor, mine] of this.claims) {
      const wrong = mine.find((c) => c.length > seq)
      if (wrong) this.accuse({ kind: 'refuted', monitor, reason: `monitor ${monitor.slice(0, 8)}… claimed the log valid through length ${wrong.length}, but a proven fraud proof shows entry ${seq} breaks the contract`, claim: wrong, fraudProof, seq })
    }
    this.refutedFrom = Math.min(this.refutedFrom, seq)
  }

  /**
   * Claims that show the executor signed two different checkpoints of one length (each claim
   * carries the executor's seal signature): a fork, with the two claims as evidence.
   */
  detectForks(): void {
    const byLength = new Map<number, Claim>()
    for (const mine of this.claims.values()) {
      for (const c of mine) {
        const other = byLength.get(c.length)
        if (!other) byLength.set(c.length, c)
        else if (claimCheckpointText(other) !== claimCheckpointText(c)) {
          this.accuse({ kind: 'executor-fork', monitor: c.signer, reason: `the executor signed two different checkpoints of length ${c.length}`, claims: [other, c] })
        }
      }
    }
  }

  /** The first entry a proven fraud proof refutes: no vertex at or past it can be trusted. */
  refutedFrom = Infinity

  private accuse(a: Accusation): void {
    if (this.accusations.some((x) => x.monitor === a.monitor && x.kind === a.kind)) return
    this.accusations.push(a)
  }

  /** Monitors whose claims count: trusted, and not accused. */
  counted(): string[] {
    const accused = new Set(this.accusations.map((a) => a.monitor))
    return [...this.claims.keys()].filter((m) => !accused.has(m))
  }

  /** Every vertex some counted monitor's chain reaches, with its support. */
  vertices(): Vertex[] {
    const out = new Map<string, Vertex>()
    for (const monitor of this.counted()) {
      const weight = this.weights.get(monitor) ?? 0
      for (const c of this.chainOf(monitor)) {
        const id = vertexId(c.length, c.stateRoot)
        const v = out.get(id) ?? { length: c.length, stateRoot: c.stateRoot, weight: 0, monitors: [] }
        v.weight += weight
        v.monitors.push(monitor)
        out.set(id, v)
      }
    }
    return [...out.values()].filter((v) => v.length <= this.refutedFrom)
  }

  /**
   * A monitor's claims that link from the empty state at length 0, each conditional on the one
   * before (a chain that breaks stops there: what follows hangs on nothing this monitor claimed).
   */
  private chainOf(monitor: string): Claim[] {
    const out: Claim[] = []
    let at = GENESIS()
    for (const c of this.claims.get(monitor) ?? []) {
      if (c.previousLength !== at.length || c.previousStateRoot !== at.stateRoot) break
      out.push(c)
      at = { ...at, length: c.length, stateRoot: c.stateRoot }
    }
    return out
  }

  /**
   * The heaviest chain from genesis: from each vertex, on to the heaviest vertex a counted claim
   * leads to (the longer on a tie). Returns its last vertex, or null when no claim counts.
   */
  head(): ChainHead | null {
    const vertices = this.vertices()
    const byId = new Map(vertices.map((v) => [vertexId(v.length, v.stateRoot), v]))
    const edges = new Map<string, Set<string>>()
    for (const monitor of this.counted()) {
      let from = vertexId(0, GENESIS().stateRoot)
      for (const c of this.chainOf(monitor)) {
        const to = vertexId(c.length, c.stateRoot)
        if (!byId.has(to)) break
        if (!edges.has(from)) edges.set(from, new Set())
        edges.get(from)?.add(to)
        from = to
      }
    }
    let at: string | null = vertexId(0, GENESIS().stateRoot)
    let head: Vertex | null = null
    while (at) {
      const next = [...(edges.get(at) ?? [])].map((id) => byId.get(id) as Vertex)
      if (next.length === 0) break
      next.sort((a, b) => b.weight - a.weight || b.length - a.length)
      head = next[0]
      at = vertexId(head.length, head.stateRoot)
    }
    return head ? { length: head.length, stateRoot: head.stateRoot, weight: head.weight, monitors: head.monitors } : null
  }

  /** The vertices at `length`, heaviest first: more than one is a conflict. */
  at(length: number): Vertex[] {
    return this.vertices()
      .filter((v) => v.length === length)
      .sort((a, b) => b.weight - a.weight)
  }
}
