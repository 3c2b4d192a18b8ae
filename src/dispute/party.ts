// A party to a dispute (docs/protocol.md §13): it signs its own moves, from its own roots, and only
// the moves the rules allow it, so a referee (or a network peer) cannot make it sign a
// contradiction. The same interface is spoken over HTTP (src/dispute/http-party.ts).

import { toHex } from '../codec/hash.js'
import {
  DisputeError,
  disputeId,
  signDisputeMessage,
  type DisputeAccept,
  type DisputeAnswer,
  type DisputeOpen,
  type DisputeRoot,
  type DisputeSettle,
} from './messages.js'
import { checkOpen } from './game.js'
import type { RootOracle } from './roots.js'
import type { StepProof } from './step.js'

export interface RootRequest {
  dispute: string
  previous: string
  round: number
  length: number
}
export interface AnswerRequest extends RootRequest {
  root: string
}
export interface SettleRequest {
  dispute: string
  previous: string
  lo: number
  hi: number
}
export interface StepRequest {
  dispute: string
  lo: number
  loRoot: string
}

export interface DisputeParty {
  /** The party's Ed25519 public key, hex. */
  readonly key: string
  /** As defender: take up a dispute over roots it signed, or refuse (DisputeError). */
  accept(open: DisputeOpen): Promise<DisputeAccept>
  root(req: RootRequest): Promise<DisputeRoot>
  /** As challenger: agree or not with the defender's root. */
  answer(req: AnswerRequest): Promise<DisputeAnswer>
  settle(req: SettleRequest): Promise<DisputeSettle>
  /** The final step from this party's state, or null when it cannot build one. */
  step(req: StepRequest): Promise<StepProof | null>
  /** Forgets a dispute that is over and frees its roots. */
  close(dispute: string): void
}

interface Session {
  open: DisputeOpen
  role: 'defender' | 'challenger'
  oracle: RootOracle
  /** The challenger's answers: the root it was shown at each length and whether it agreed. */
  answers: Map<number, { root: string; agree: boolean }>
  /** When a move was last asked of it (ms): a game left idle past its deadline is dropped. */
  used: number
}

/** A party holding logs and a key pair; `oracleFor` gives its roots for a dispute's range, in the role it plays. */
export class LocalParty implements DisputeParty {
  readonly key: string
  private readonly sessions = new Map<string, Session>()

  constructor(
    private readonly secretKey: Uint8Array,
    private readonly oracleFor: (open: DisputeOpen, role: Session['role']) => RootOracle | Promise<RootOracle>,
    /** Most disputes held at once: each keeps a replay's state until it is closed. */
    private readonly maxSessions = 16,
  ) {
    this.key = toHex(secretKey.subarray(32))
  }

  /** Opens a dispute as challenger against `defender`'s root `toRoot` at `to`. */
  async challenge(fields: Omit<DisputeOpen, 'type' | 'challenger' | 'by' | 'signature' | 'fromRoot' | 'time'> & { time?: number }): Promise<DisputeOpen> {
    const session = { role: 'challenger' as const, answers: new Map() }
    const body = { type: 'open' as const, ...fields, challenger: this.key, time: fields.time ?? Date.now(), fromRoot: '' }
    const oracle = await this.oracleFor(body as DisputeOpen, 'challenger')
    try {
      body.fromRoot = await oracle.rootAt(fields.from)
      const mine = await oracle.rootAt(fields.to)
      if (mine === fields.toRoot) throw new DisputeError('NO_DISPUTE', `this party's root at length ${fields.to} is ${mine.slice(0, 8)}… too: there is nothing to dispute`)
    } catch (err) {
      oracle.dispose()
      throw err
    }
    const open = signDisputeMessage<DisputeOpen>(body, this.secretKey)
    this.keep(disputeId(open), { open, oracle, ...session })
    return open
  }

  async accept(open: DisputeOpen): Promise<DisputeAccept> {
    checkOpen(open)
    if (open.defender !== this.key) throw new DisputeError('NOT_A_PARTY', `the dispute names defender ${open.defender.slice(0, 8)}…, not this party`)
    const id = disputeId(open)
    const oracle = await this.oracleFor(open, 'defender')
    try {
      for (const [length, root] of [[open.from, open.fromRoot], [open.to, open.toRoot]] as const) {
        const mine = await oracle.rootAt(length)
        if (mine !== root) throw new DisputeError('NOT_MY_ROOT', `this party's root at length ${length} is ${mine.slice(0, 8)}…, not ${root.slice(0, 8)}…: it does not defend that root`)
      }
    } catch (err) {
      oracle.dispose()
      throw err
    }
    this.keep(id, { open, role: 'defender', oracle, answers: new Map() })
    return signDisputeMessage<DisputeAccept>({ type: 'accept', dispute: id, previous: id, fromRoot: open.fromRoot, toRoot: open.toRoot }, this.secretKey)
  }

  async root(req: RootRequest): Promise<DisputeRoot> {
    const s = this.session(req.dispute, 'defender')
    inside(s.open, req.length)
    const root = await s.oracle.rootAt(req.length)
    return signDisputeMessage<DisputeRoot>({ type: 'root', dispute: req.dispute, previous: req.previous, round: req.round, length: req.length, root }, this.secretKey)
  }

  async answer(req: AnswerRequest): Promise<DisputeAnswer> {
    const s = this.session(req.dispute, 'challenger')
    inside(s.open, req.length)
    const agree = (await s.oracle.rootAt(req.length)) === req.root
    s.answers.set(req.length, { root: req.root, agree })
    return signDisputeMessage<DisputeAnswer>({ type: 'answer', dispute: req.dispute, previous: req.previous, round: req.round, length: req.length, root: req.root, agree }, this.secretKey)
  }

  async settle(req: SettleRequest): Promise<DisputeSettle> {
    const s = this.session(req.dispute)
    if (req.hi !== req.lo + 1 || req.lo < s.open.from || req.hi > s.open.to) throw new DisputeError('DISPUTE_RANGE', `${req.lo}..${req.hi} is not one entry of ${s.open.from}..${s.open.to}`)
    let loRoot: string
    let hiRoot: string
    if (s.role === 'defender') {
      loRoot = await s.oracle.rootAt(req.lo)
      hiRoot = await s.oracle.rootAt(req.hi)
    } else {
      // Only a range this party narrowed to: it agreed at lo and disputed at hi.
      const lo = req.lo === s.open.from ? { root: s.open.fromRoot, agree: true } : s.answers.get(req.lo)
      const hi = req.hi === s.open.to ? { root: s.open.toRoot, agree: false } : s.answers.get(req.hi)
      if (!lo?.agree || !hi || hi.agree) throw new DisputeError('DISPUTE_RANGE', `this party did not agree at ${req.lo} and dispute at ${req.hi}`)
      loRoot = lo.root
      hiRoot = hi.root
    }
    return signDisputeMessage<DisputeSettle>({ type: 'settle', dispute: req.dispute, previous: req.previous, lo: req.lo, loRoot, hi: req.hi, hiRoot }, this.secretKey)
  }

  async step(req: StepRequest): Promise<StepProof | null> {
    const s = this.session(req.dispute)
    inside(s.open, req.lo, true)
    return s.oracle.step(req.lo, req.loRoot, anchorLength(s.open))
  }

  close(dispute: string): void {
    this.sessions.get(dispute)?.oracle.dispose()
    this.sessions.delete(dispute)
  }

  private keep(id: string, session: Omit<Session, 'used'>): void {
    const now = Date.now()
    for (const [other, s] of this.sessions) if (now - s.used > 2 * s.open.deadline) this.close(other)
    if (this.sessions.size >= this.maxSessions) {
      session.oracle.dispose()
      throw new DisputeError('TOO_MANY_DISPUTES', `this party holds ${this.maxSessions} disputes already; try again when one is over`)
    }
    this.sessions.get(id)?.oracle.dispose()
    this.sessions.set(id, { ...session, used: now })
  }

  private session(id: string, role?: Session['role']): Session {
    const s = this.sessions.get(id)
    if (!s) throw new DisputeError('NO_SUCH_DISPUTE', 'this party holds no such dispute (or it was dropped after its deadline passed twice)')
    s.used = Date.now()
    if (role && s.role !== role) throw new DisputeError('NOT_A_PARTY', `this party is the ${s.role} of that dispute`)
    return s
  }
}

/** The anchor's length: the history a dispute is about. */
export function anchorLength(open: DisputeOpen): number {
  return checkOpen(open).seal.length
}

function inside(open: DisputeOpen, length: number, lowEnd = false): void {
  const ok = Number.isSafeInteger(length) && (lowEnd ? length >= open.from && length < open.to : length > open.from && length < open.to)
  if (!ok) throw new DisputeError('DISPUTE_RANGE', `length ${length} is not inside the disputed range ${open.from}..${open.to}`)
}
