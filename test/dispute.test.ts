// The verification game (docs/protocol.md §13): two parties that disagree about the state root
// after a history bisect to one entry, which the judge re-executes alone. Real logs on disk, the
// real VM; the liars are parties whose roots are wrong from one entry on, or an executor whose log is.

import assert from 'node:assert/strict'
import test, { type TestContext } from 'node:test'
import { inputKey, SYS, type OpEntry } from '../src/codec/messages.js'
import { DisputeError, roundsFor, signDisputeMessage, type DisputeRoot } from '../src/dispute/messages.js'
import type { DisputeParty } from '../src/dispute/party.js'
import { referee } from '../src/dispute/referee.js'
import { judgeDispute, type DisputeTranscript, type DisputeVerdict } from '../src/dispute/transcript.js'
import { AT, byTheLog, GENESIS_LENGTH, history, honest, keyPair, lie, lieFrom, logsOf, lyingFrom, NEWCOMER, openAgainst, parties, V2, type Logs, type OracleFor } from './helpers/disputes.js'

const POSITIONS = Object.entries(AT) as [keyof typeof AT, number][]

/** What the executor publishes instead at each position class. */
const LIES: Record<keyof typeof AT, (e: OpEntry) => OpEntry['changes']> = {
  // A key no later op overwrites, so the lie lasts to the anchor.
  first: (e) => [...e.changes, { type: 'put', key: '/forged', value: 'first' }],
  middle: (e) => [...e.changes, { type: 'put', key: '/forged', value: 'middle' }],
  last: (e) => [...e.changes, { type: 'put', key: '/forged', value: 'last' }],
  admit: (e) => e.changes.map((c) => (c.key === inputKey(NEWCOMER) ? { type: 'put', key: inputKey('ef'.repeat(32)), value: { pubkey: 'ef'.repeat(32) } } : c)),
  upgrade: (e) => e.changes.map((c) => (c.type === 'put' && c.key === SYS.source ? { ...c, value: V2.replace('v: 2', 'v: 3') } : c)),
}

async function logs(t: TestContext, dir: string): Promise<Logs> {
  const l = await logsOf(dir)
  t.after(() => l.close())
  return l
}

/** Plays a whole game between the two roles over `dir`, and judges its transcript from its JSON text. */
async function play(t: TestContext, dir: string, roles: { challenger?: OracleFor; defender?: OracleFor } = {}): Promise<{ transcript: DisputeTranscript; verdict: DisputeVerdict; l: Logs }> {
  const l = await logs(t, dir)
  const { challenger, defender } = parties(l, roles)
  const open = await openAgainst(l, challenger, defender, roles.defender)
  const transcript = await referee(open, defender, challenger)
  const verdict = await judgeDispute(JSON.parse(JSON.stringify(transcript)), { key: l.key })
  return { transcript, verdict, l }
}

function assertDecided(v: DisputeVerdict, wrong: 'defender' | 'challenger', reason: string, at: number, n: number): void {
  assert.equal(v.verdict, 'decided', JSON.stringify(v))
  if (v.verdict !== 'decided') return
  assert.equal(v.wrong, wrong, v.message)
  assert.equal(v.reason, reason, v.message)
  assert.equal(v.at, at, v.message)
  const { bisection, bound } = roundsFor(n)
  assert.equal(v.bound, bound)
  assert.ok(v.rounds <= bound, `${v.rounds} rounds, bound ${bound}`)
  // Halving a range of n takes floor(log2 n) or ceil(log2 n) rounds, then one to settle.
  if (reason === 'step') assert.ok(v.rounds >= Math.floor(Math.log2(n)) + 1, `${v.rounds} rounds for ${n} entries (bisection ${bisection})`)
}

test('an executor that lies at any position class: the defender of its log is found wrong at that entry', async (t) => {
  for (const [name, p] of POSITIONS) {
    await t.test(name, async (t) => {
      const dir = await history(t)
      await lieFrom(dir, p, LIES[name])
      const { verdict, transcript, l } = await play(t, dir)
      assertDecided(verdict, 'defender', 'step', p, l.length - GENESIS_LENGTH)
      // The transcript is small: rounds of two messages, two settlements and one step.
      assert.equal(transcript.messages.length, 1 + 2 * (verdict.verdict === 'decided' ? verdict.rounds - 1 : 0) + 2)
    })
  }
})

test('a challenger that lies from any position class on is found wrong at that entry; the honest log stands', async (t) => {
  for (const [name, p] of POSITIONS) {
    await t.test(name, async (t) => {
      const dir = await history(t)
      // Its roots are the contract's through entry p - 1, then wrong: it disputes every root after.
      const { verdict, l } = await play(t, dir, { challenger: (open, l) => lyingFrom(honest(open, l), p) })
      assertDecided(verdict, 'challenger', 'step', p, l.length - GENESIS_LENGTH)
    })
  }
})

test('a defender that lies about roots the log never signed is found wrong, whatever the log says', async (t) => {
  // From an op on, and from a seal on: a seal changes no state, so the root after it is the one before.
  for (const [name, p] of [['an op', AT.admit], ['a seal', AT.admit + 1]] as const) {
    await t.test(name, async (t) => {
      const dir = await history(t)
      const { verdict, l } = await play(t, dir, { defender: (open, l) => lyingFrom(byTheLog(open, l), p) })
      assertDecided(verdict, 'defender', 'step', p, l.length - GENESIS_LENGTH)
    })
  }
})

test('a defender that changes its story mid-game loses with its own two signed answers', async (t) => {
  const dir = await history(t)
  await lieFrom(dir, AT.middle, LIES.middle)
  // It stands by the lying log for three answers, then turns to the contract's roots.
  const turncoat: OracleFor = (open, l) => {
    const [before, after] = [byTheLog(open, l), honest(open, l)]
    let asked = 0
    return {
      rootAt: (length) => (asked++ < 3 ? before.rootAt(length) : after.rootAt(length)),
      step: (lo, loRoot, anchor) => after.step(lo, loRoot, anchor),
      dispose: () => (before.dispose(), after.dispose()),
    }
  }
  const { verdict, transcript } = await play(t, dir, { defender: turncoat })
  assert.equal(verdict.verdict, 'decided', JSON.stringify(verdict))
  if (verdict.verdict !== 'decided') return
  assert.equal(verdict.wrong, 'defender')
  assert.equal(verdict.reason, 'contradiction')
  // The two messages named are the defender's, signed, about one length, with different roots.
  const [a, b] = (verdict.message.match(/#(\d+)/g) ?? []).map((s) => transcript.messages[Number(s.slice(1))])
  assert.ok(a && b, verdict.message)
  assert.equal(a.by, transcript.open.defender)
  assert.equal(b.by, transcript.open.defender)
  assert.equal(b.type, 'settle')
  const said = (m: DisputeTranscript['messages'][number]) =>
    m.type === 'settle' ? (m.lo === verdict.at ? m.loRoot : m.hiRoot) : m.type === 'accept' ? (verdict.at === transcript.open.from ? m.fromRoot : m.toRoot) : m.type === 'root' && m.length === verdict.at ? m.root : null
  assert.ok(said(a) && said(b) && said(a) !== said(b), verdict.message)
})

test('a party that stops answering forfeits when the deadline passes; the transcript says who and where', async (t) => {
  const dir = await history(t)
  await lieFrom(dir, AT.middle, LIES.middle)
  const l = await logs(t, dir)
  for (const role of ['defender', 'challenger'] as const) {
    await t.test(role, async () => {
      const { challenger, defender } = parties(l)
      const silentAfter = 2
      const mute = <P extends DisputeParty>(p: P, method: 'root' | 'answer'): P => {
        let calls = 0
        const real = p[method].bind(p) as (req: never) => Promise<unknown>
        ;(p as Record<string, unknown>)[method] = (req: never) => (++calls > silentAfter ? new Promise(() => {}) : real(req))
        return p
      }
      if (role === 'defender') mute(defender, 'root')
      else mute(challenger, 'answer')
      const open = await openAgainst(l, challenger, defender, byTheLog, 300)
      const transcript = await referee(open, defender, challenger)
      assert.equal(transcript.forfeit?.role, role)
      const verdict = await judgeDispute(transcript, { key: l.key })
      assert.equal(verdict.verdict, 'decided', JSON.stringify(verdict))
      if (verdict.verdict === 'decided') {
        assert.equal(verdict.wrong, role)
        assert.equal(verdict.reason, 'forfeit')
        assert.match(verdict.message, /no answer within 300 ms/)
      }
    })
  }
})

test('a forged or altered transcript is refused, and a forfeit cannot be pinned on the party that moved', async (t) => {
  const dir = await history(t)
  await lieFrom(dir, AT.last, LIES.last)
  const { transcript, verdict, l } = await play(t, dir)
  assert.equal(verdict.verdict, 'decided')
  const copy = (): DisputeTranscript => JSON.parse(JSON.stringify(transcript))
  const malformed = async (x: DisputeTranscript, why: RegExp) => {
    const v = await judgeDispute(x, { key: l.key })
    assert.equal(v.verdict, 'malformed', JSON.stringify(v))
    if (v.verdict === 'malformed') assert.match(v.reason, why)
  }
  // A root changed after it was signed.
  const changed = copy()
  const root = changed.messages.find((m) => m.type === 'root') as DisputeRoot
  root.root = lie(root.root)
  await malformed(changed, /not signed by the defender/)
  // A message taken out: the next one no longer follows.
  const dropped = copy()
  dropped.messages.splice(2, 1)
  await malformed(dropped, /message 2/)
  // A root re-signed by a stranger in the defender's place.
  const stranger = copy()
  const r = stranger.messages[1] as DisputeRoot
  stranger.messages[1] = signDisputeMessage<DisputeRoot>({ type: 'root', dispute: r.dispute, previous: r.previous, round: r.round, length: r.length, root: lie(r.root) }, keyPair())
  await malformed(stranger, /not signed by the defender/)
  // The open's range widened after the challenger signed it.
  const widened = copy()
  widened.open.from -= 1
  await malformed(widened, /not signed by its challenger/)
  // About another database.
  const other = await judgeDispute(copy(), { key: 'ab'.repeat(32) })
  assert.equal(other.verdict, 'malformed')
  // A forfeit blamed on the party whose move was already made.
  const blamed = copy()
  blamed.step = null
  blamed.forfeit = { role: 'defender', move: 'settle', round: 1, reason: 'made up' }
  await malformed(blamed, /forfeit names the defender/)
  // A step about another entry does not decide anything.
  const wrongStep = copy()
  wrongStep.step = { ...wrongStep.step!, entry: { ...wrongStep.step!.entry, position: wrongStep.step!.entry.position - 1 } }
  const v = await judgeDispute(wrongStep, { key: l.key })
  assert.equal(v.verdict, 'unfinished', JSON.stringify(v))
})

test('no dispute without a disagreement: honest parties agree, and a defender refuses a root it does not hold', async (t) => {
  const dir = await history(t)
  const l = await logs(t, dir)
  const { challenger, defender } = parties(l)
  // The honest challenger re-executes to the executor's root: nothing to dispute.
  await assert.rejects(openAgainst(l, challenger, defender), (err: DisputeError) => err.code === 'NO_DISPUTE')
  // A liar opens against a root the defender never signed: the defender does not take it up.
  const { challenger: liar } = parties(l, { challenger: (open, l) => lyingFrom(honest(open, l), AT.first) })
  const open = await liar.challenge({ database: l.key, anchor: l.anchor, from: GENESIS_LENGTH, to: l.length, toRoot: lie('00'.repeat(32)), defender: defender.key, deadline: 60_000 })
  await assert.rejects(referee(open, defender, liar), (err: DisputeError) => err.code === 'NOT_MY_ROOT')
})

test('an honest party cannot be made to sign a contradiction by its referee', async (t) => {
  const dir = await history(t)
  await lieFrom(dir, AT.middle, LIES.middle)
  const l = await logs(t, dir)
  const { challenger, defender } = parties(l)
  const open = await openAgainst(l, challenger, defender)
  await defender.accept(open)
  const id = (await import('../src/dispute/messages.js')).disputeId(open)
  // The challenger never agreed at the range's middle: it will not settle as if it had.
  await assert.rejects(challenger.settle({ dispute: id, previous: id, lo: AT.middle + 5, hi: AT.middle + 6 }), (err: DisputeError) => err.code === 'DISPUTE_RANGE')
  // Lengths outside the disputed range are not answered.
  await assert.rejects(defender.root({ dispute: id, previous: id, round: 1, length: open.to + 1 }), (err: DisputeError) => err.code === 'DISPUTE_RANGE')
  defender.close(id)
  challenger.close(id)
})
