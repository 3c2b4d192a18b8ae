// A dispute's transcript and its verdict (docs/protocol.md §13.5): the open, every message in order,
// the final step, or the forfeit of a party that stopped answering. judgeDispute checks it with
// nothing else (signatures, the chain, the bisection, one re-execution), like `glassbox judge`
// checks a fraud proof; an honest party is never found wrong.

import { isObject } from '../log/proof-shape.js'
import { DisputeGame, type Role } from './game.js'
import { DisputeError, type DisputeMessage, type DisputeOpen } from './messages.js'
import { judgeStep, type StepProof } from './step.js'

export const DISPUTE_FORMAT = 'glassbox-dispute/1'

export interface DisputeTranscript {
  format: typeof DISPUTE_FORMAT
  open: DisputeOpen
  messages: DisputeMessage[]
  /** The step for entry `lo`, once both parties settled. */
  step: StepProof | null
  /**
   * A party whose move never came, or came unfit, recorded by whoever ran the game: its word, as
   * only its clock saw the deadline pass.
   */
  forfeit: { role: Role; move: string; round: number; reason: string } | null
}

export type DisputeVerdict =
  | {
      verdict: 'decided'
      /** The party found wrong, and its key. */
      wrong: Role
      party: string
      reason: 'step' | 'contradiction' | 'forfeit'
      /** The entry the step re-executed, or the length a party contradicted itself about. */
      at: number
      rounds: number
      bound: number
      message: string
    }
  | { verdict: 'unfinished'; reason: string; rounds: number; bound: number }
  | { verdict: 'malformed'; reason: string }

/** Judges a parsed transcript. Never throws for a hostile one. */
export async function judgeDispute(value: unknown, opts: { key?: string } = {}): Promise<DisputeVerdict> {
  let game: DisputeGame
  let t: DisputeTranscript
  try {
    if (!isObject(value) || value.format !== DISPUTE_FORMAT) throw new DisputeError('DISPUTE_MESSAGE', `not a ${DISPUTE_FORMAT} file`)
    if (!Array.isArray(value.messages)) throw new DisputeError('DISPUTE_MESSAGE', 'messages must be a list')
    t = value as unknown as DisputeTranscript
    game = new DisputeGame(t.open, opts.key)
    t.messages.forEach((m, i) => {
      try {
        game.add(m)
      } catch (err) {
        throw new DisputeError('DISPUTE_MESSAGE', `message ${i}: ${(err as Error).message}`)
      }
    })
  } catch (err) {
    return { verdict: 'malformed', reason: (err as Error).message }
  }
  const rounds = game.round + (game.next().type === 'step' || game.contradiction ? 1 : 0)
  const counts = { rounds, bound: game.bound }
  const decided = (wrong: Role, reason: 'step' | 'contradiction' | 'forfeit', at: number, message: string): DisputeVerdict => ({
    verdict: 'decided',
    wrong,
    party: game.keyOf(wrong),
    reason,
    at,
    ...counts,
    message,
  })
  if (game.contradiction) {
    const c = game.contradiction
    return decided(c.role, 'contradiction', c.length, `${c.why} (messages ${c.messages.map((i) => (i < 0 ? 'open' : `#${i}`)).join(' and ')})`)
  }
  const move = game.next()
  if (t.forfeit) {
    const f = t.forfeit
    if (!isObject(f) || !('by' in move) || f.role !== move.by) return { verdict: 'malformed', reason: `the forfeit names the ${String(f?.role)}, but the next move was ${'by' in move ? `the ${move.by}'s` : 'the step'}` }
    return decided(f.role, 'forfeit', game.hi, `the ${f.role} did not make its ${move.type} move in round ${game.round || 1}: ${String(f.reason)} (as recorded by whoever ran the game)`)
  }
  if (move.type !== 'step') return { verdict: 'unfinished', reason: `the transcript stops before the ${move.type} move`, ...counts }
  if (t.step === null || t.step === undefined) return { verdict: 'unfinished', reason: `no step for entry ${move.lo} was given`, ...counts }
  let truth: Awaited<ReturnType<typeof judgeStep>>
  try {
    truth = await judgeStep(t.step, game.open.database, game.open.anchor.signer, game.seal, move.lo, move.loRoot)
  } catch (err) {
    return { verdict: 'unfinished', reason: `the step does not hold: ${(err as Error).message}`, ...counts }
  }
  const what = truth.kind === 'op' ? 'its op' : truth.kind === 'seal' ? 'a seal, which changes no state,' : 'an op from an oplog that is not an input, which changes no state,'
  const story = `entry ${move.lo} is ${what} and leads from ${move.loRoot.slice(0, 8)}… (agreed) to ${truth.root.slice(0, 8)}…`
  if (truth.root === move.hiRoot) return decided('challenger', 'step', move.lo, `${story}: the defender's root; the challenger disputed it`)
  return decided('defender', 'step', move.lo, `${story}, not to the defender's ${move.hiRoot.slice(0, 8)}…`)
}

/** Parses a transcript's text; malformed JSON is a malformed transcript. */
export async function judgeDisputeText(text: string, opts: { key?: string } = {}): Promise<DisputeVerdict> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return { verdict: 'malformed', reason: `not JSON: ${(err as Error).message}` }
  }
  return judgeDispute(parsed, opts)
}
