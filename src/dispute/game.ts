// The rules of a dispute (docs/protocol.md §13), as a state machine both the referee and the judge
// run: it checks the open, then takes each message in turn, refusing one that is not the next move
// (wrong type, party, round, length, chain link or signature), and notes where a party contradicts
// what it signed before. Browser-safe.

import { toHex } from '../codec/hash.js'
import { HEX32, isCount, isObject } from '../log/proof-shape.js'
import { openSeal } from '../log/sealed-entry.js'
import type { SealEntry } from '../codec/messages.js'
import {
  DisputeError,
  disputeId,
  messageHash,
  midpoint,
  roundsFor,
  signedBy,
  type DisputeAnswer,
  type DisputeMessage,
  type DisputeOpen,
  type DisputeRoot,
  type DisputeSettle,
} from './messages.js'

export type Role = 'defender' | 'challenger'

/** What the game waits for next. */
export type Move =
  | { type: 'accept'; by: 'defender' }
  | { type: 'root'; by: 'defender'; round: number; length: number }
  | { type: 'answer'; by: 'challenger'; round: number; length: number; root: string }
  | { type: 'settle'; by: Role; lo: number; hi: number }
  | { type: 'step'; lo: number; loRoot: string; hiRoot: string }
  | { type: 'over' }

/** A party that signed two different things about one length: the indices of both messages (-1: the open). */
export interface Contradiction {
  role: Role
  length: number
  messages: [number, number]
  why: string
}

const bad = (why: string) => new DisputeError('DISPUTE_MESSAGE', why)

/** Checks an open's shape, signature and anchor; returns the anchor's seal. Throws DisputeError. */
export function checkOpen(x: unknown, key?: string): { open: DisputeOpen; seal: SealEntry } {
  if (!isObject(x) || x.type !== 'open') throw bad('a dispute starts with an open message')
  for (const f of ['database', 'fromRoot', 'toRoot', 'defender', 'challenger', 'by']) {
    if (typeof x[f] !== 'string' || !HEX32.test(x[f] as string)) throw bad(`open.${f} must be 64 lowercase hex characters`)
  }
  for (const f of ['from', 'to', 'deadline', 'time']) if (!isCount(x[f])) throw bad(`open.${f} must be a whole number >= 0`)
  const open = x as unknown as DisputeOpen
  if (key !== undefined && open.database !== key.toLowerCase()) throw bad(`the dispute is about database ${open.database.slice(0, 8)}…, not ${key.slice(0, 8)}…`)
  if (open.by !== open.challenger || !signedBy(open, open.challenger)) throw bad('the open is not signed by its challenger')
  if (open.defender === open.challenger) throw bad('a party cannot dispute with itself')
  if (open.to <= open.from) throw bad(`the range ${open.from}..${open.to} is empty`)
  if (open.fromRoot === open.toRoot && open.to === open.from) throw bad('nothing is disputed')
  if (open.deadline < 1) throw bad('the deadline must be at least 1 ms')
  let seal: SealEntry
  try {
    seal = openSeal(open.anchor, open.database)
  } catch (err) {
    throw bad(`the anchor is not a seal the executor signed: ${(err as Error).message}`)
  }
  if (open.to > seal.length) throw bad(`length ${open.to} is past the anchor, which covers ${seal.length} entries`)
  return { open, seal }
}

/** One game: feed it the messages in order with add(); next() says what it waits for. */
export class DisputeGame {
  readonly id: string
  readonly seal: SealEntry
  lo: number
  hi: number
  loRoot: string
  hiRoot: string
  round = 0
  readonly messages: DisputeMessage[] = []
  contradiction: Contradiction | null = null
  private accepted = false
  private pending: DisputeRoot | null = null
  private readonly settled: Partial<Record<Role, DisputeSettle>> = {}
  /** Where each party's last word on each length is: the message index (-1: the open) and the root. */
  private readonly said: Record<Role, Map<number, { at: number; root: string; agree?: boolean }>> = { defender: new Map(), challenger: new Map() }

  constructor(
    readonly open: DisputeOpen,
    key?: string,
  ) {
    this.seal = checkOpen(open, key).seal
    this.id = disputeId(open)
    this.lo = open.from
    this.hi = open.to
    this.loRoot = open.fromRoot
    this.hiRoot = open.toRoot
    this.said.challenger.set(open.from, { at: -1, root: open.fromRoot, agree: true })
    this.said.challenger.set(open.to, { at: -1, root: open.toRoot, agree: false })
  }

  get bound(): number {
    return roundsFor(this.open.to - this.open.from).bound
  }

  /** The hash the next message must name as `previous`. */
  get previous(): string {
    const last = this.messages.at(-1)
    return last ? messageHash(last) : this.id
  }

  keyOf(role: Role): string {
    return role === 'defender' ? this.open.defender : this.open.challenger
  }

  next(): Move {
    if (this.contradiction) return { type: 'over' }
    if (!this.accepted) return { type: 'accept', by: 'defender' }
    if (this.hi - this.lo > 1) {
      const round = this.pending ? this.round : this.round + 1
      const length = midpoint(this.lo, this.hi)
      if (!this.pending) return { type: 'root', by: 'defender', round, length }
      return { type: 'answer', by: 'challenger', round, length, root: this.pending.root }
    }
    if (!this.settled.defender) return { type: 'settle', by: 'defender', lo: this.lo, hi: this.hi }
    if (!this.settled.challenger) return { type: 'settle', by: 'challenger', lo: this.lo, hi: this.hi }
    return { type: 'step', lo: this.lo, loRoot: this.loRoot, hiRoot: this.hiRoot }
  }

  /** Takes the next message; throws DisputeError if it is not the move next() names, correctly signed. */
  add(message: unknown): void {
    const move = this.next()
    if (move.type === 'over' || move.type === 'step') throw bad('the game takes no more messages')
    if (!isObject(message) || message.type !== move.type) throw bad(`expected a ${move.type} message`)
    const m = message as unknown as DisputeMessage
    const role = move.by
    if (m.dispute !== this.id) throw bad('the message is about another dispute')
    if (m.previous !== this.previous) throw bad('the message does not follow the one before it')
    for (const f of ['loRoot', 'hiRoot', 'root', 'fromRoot', 'toRoot'] as const) {
      const v = (m as unknown as Record<string, unknown>)[f]
      if (v !== undefined && (typeof v !== 'string' || !HEX32.test(v))) throw bad(`${f} must be 64 lowercase hex characters`)
    }
    if (!signedBy(m, this.keyOf(role))) throw bad(`the ${move.type} message is not signed by the ${role}`)
    const at = this.messages.length
    if (move.type === 'accept') {
      const a = m as DisputeMessage & { type: 'accept' }
      if (a.fromRoot !== this.open.fromRoot || a.toRoot !== this.open.toRoot) throw bad('the defender accepts other roots than the open names: there is no dispute')
      this.accepted = true
      this.said.defender.set(this.open.from, { at, root: a.fromRoot })
      this.said.defender.set(this.open.to, { at, root: a.toRoot })
    } else if (move.type === 'root') {
      const r = m as DisputeRoot
      if (r.round !== move.round || r.length !== move.length) throw bad(`expected the root at length ${move.length} in round ${move.round}`)
      this.round = r.round
      this.pending = r
      this.said.defender.set(r.length, { at, root: r.root })
    } else if (move.type === 'answer') {
      const a = m as DisputeAnswer
      if (a.round !== move.round || a.length !== move.length || a.root !== move.root || typeof a.agree !== 'boolean') {
        throw bad(`expected an answer to the root at length ${move.length} in round ${move.round}`)
      }
      this.pending = null
      this.said.challenger.set(a.length, { at, root: a.root, agree: a.agree })
      if (a.agree) [this.lo, this.loRoot] = [a.length, a.root]
      else [this.hi, this.hiRoot] = [a.length, a.root]
    } else {
      const s = m as DisputeSettle
      if (s.lo !== move.lo || s.hi !== move.hi) throw bad(`expected the ${role}'s settlement of ${move.lo}..${move.hi}`)
      this.settled[role] = s
      this.contradiction = this.contradicts(role, s, at)
    }
    this.messages.push(m)
  }

  /** A settlement must repeat what its party signed about lo and hi; the first difference loses. */
  private contradicts(role: Role, s: DisputeSettle, at: number): Contradiction | null {
    const said = this.said[role]
    const check = (length: number, root: string, what: string): Contradiction | null => {
      const before = said.get(length)!
      if (before.root === root) return null
      return { role, length, messages: [before.at, at], why: `the ${role} signed ${what} ${before.root.slice(0, 8)}… at length ${length}, then ${root.slice(0, 8)}…` }
    }
    if (role === 'defender') return check(s.lo, s.loRoot, 'root') ?? check(s.hi, s.hiRoot, 'root')
    return check(s.lo, s.loRoot, 'agreement with root') ?? check(s.hi, s.hiRoot, 'disagreement with root')
  }
}

/** Lowercase hex of a root, for parties that hold roots as bytes. */
export function rootHex(root: Uint8Array): string {
  return toHex(root)
}
