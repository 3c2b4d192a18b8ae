// Runs a dispute between two parties (docs/protocol.md §13.2): asks each for its move in turn, checks
// every answer against the rules before taking it, and gives a party that does not answer within
// the open's deadline, or answers unfit, a forfeit. Then it asks for the step, the challenger first,
// and keeps the first that holds. The result is the transcript judgeDispute decides on.

import { DisputeGame, type Move } from './game.js'
import type { DisputeOpen } from './messages.js'
import type { DisputeParty } from './party.js'
import { judgeStep, type StepProof } from './step.js'
import { DISPUTE_FORMAT, type DisputeTranscript } from './transcript.js'

/** How long each answer may take by default: the first may wait on a replay of half the range. */
export const DEFAULT_DEADLINE_MS = 120_000

export interface RefereeOptions {
  /** Called after each move, for progress. */
  onMove?: (move: Move, game: DisputeGame) => void
}

/** The open must already be signed by the challenger; the defender has not seen it yet. */
export async function referee(open: DisputeOpen, defender: DisputeParty, challenger: DisputeParty, opts: RefereeOptions = {}): Promise<DisputeTranscript> {
  const game = new DisputeGame(open)
  const transcript: DisputeTranscript = { format: DISPUTE_FORMAT, open, messages: game.messages, step: null, forfeit: null }
  const parties = { defender, challenger }
  try {
    for (let move = game.next(); move.type !== 'step' && move.type !== 'over'; move = game.next()) {
      const party = parties[move.by]
      const request = requestFor(move, game)
      let message: unknown
      try {
        message = await withDeadline(request(party), open.deadline)
      } catch (err) {
        // The open itself refused is no dispute at all: the defender does not defend that root.
        if (move.type === 'accept' && !(err instanceof DeadlineError)) throw err
        transcript.forfeit = { role: move.by, move: move.type, round: game.round, reason: (err as Error).message }
        return transcript
      }
      try {
        game.add(message)
      } catch (err) {
        transcript.forfeit = { role: move.by, move: move.type, round: game.round, reason: `its ${move.type} does not fit: ${(err as Error).message}` }
        return transcript
      }
      opts.onMove?.(move, game)
    }
    const move = game.next()
    if (move.type === 'step') transcript.step = await firstStep(game, move, [challenger, defender])
    return transcript
  } finally {
    for (const p of [defender, challenger]) {
      try {
        p.close(game.id)
      } catch {
        // A party that is gone has nothing to free.
      }
    }
  }
}

function requestFor(move: Exclude<Move, { type: 'step' | 'over' }>, game: DisputeGame): (party: DisputeParty) => Promise<unknown> {
  const base = { dispute: game.id, previous: game.previous }
  switch (move.type) {
    case 'accept':
      return (p) => p.accept(game.open)
    case 'root':
      return (p) => p.root({ ...base, round: move.round, length: move.length })
    case 'answer':
      return (p) => p.answer({ ...base, round: move.round, length: move.length, root: move.root })
    case 'settle':
      return (p) => p.settle({ ...base, lo: move.lo, hi: move.hi })
  }
}

/** The first step a party gives that holds (checked as the judge will); null if none does. */
async function firstStep(game: DisputeGame, move: Extract<Move, { type: 'step' }>, order: DisputeParty[]): Promise<StepProof | null> {
  for (const party of order) {
    try {
      const step = await withDeadline(party.step({ dispute: game.id, lo: move.lo, loRoot: move.loRoot }), game.open.deadline)
      if (!step) continue
      await judgeStep(step, game.open.database, game.open.anchor.signer, game.seal, move.lo, move.loRoot)
      return step
    } catch {
      // A step that does not hold, or none in time: the other party may give one.
    }
  }
  return null
}

class DeadlineError extends Error {}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
