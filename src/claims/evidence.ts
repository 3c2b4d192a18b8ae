// Checking a light client's accusation alone (docs/protocol.md §11.5): a third party given the
// evidence file and the database key confirms that the accused monitor signed a false claim,
// without logs, without the light client and without trusting anyone who passed it on.

import { checkClaim, claimCheckpointText, equivocation, executorSigned, type Claim } from './claim.js'
import type { Accusation } from './claims-graph.js'

export const EVIDENCE_FORMAT = 'glassbox-evidence/1'

export interface EvidenceFile {
  format: typeof EVIDENCE_FORMAT
  database: string
  accusations: Accusation[]
}

export type EvidenceVerdict = { monitor: string; kind: string; proven: boolean; reason: string }

/** Checks each accusation of an evidence file; never throws for hostile input (the verdict says why). */
export async function checkEvidence(value: unknown, database: string): Promise<EvidenceVerdict[]> {
  if (typeof value !== 'object' || value === null || (value as EvidenceFile).format !== EVIDENCE_FORMAT || !Array.isArray((value as EvidenceFile).accusations)) {
    return [{ monitor: '', kind: 'malformed', proven: false, reason: `not an evidence file (expected format "${EVIDENCE_FORMAT}")` }]
  }
  const out: EvidenceVerdict[] = []
  for (const a of (value as EvidenceFile).accusations) out.push(await checkAccusation(a, database))
  return out
}

async function checkAccusation(a: Accusation, database: string): Promise<EvidenceVerdict> {
  const verdict = (proven: boolean, reason: string): EvidenceVerdict => ({ monitor: String(a?.monitor ?? ''), kind: String(a?.kind ?? ''), proven, reason })
  // A claim of this database; by the accused, unless the accused is the executor (a fork).
  const claimOf = (v: unknown, byAccused = true): Claim | string => {
    try {
      const c = checkClaim(v)
      if (c.database !== database) return `the claim is about database ${c.database.slice(0, 8)}…, not ${database.slice(0, 8)}…`
      if (byAccused && c.monitor !== a.monitor) return 'the claim is signed by another monitor than the accused'
      return c
    } catch (err) {
      return (err as Error).message
    }
  }
  if (typeof a !== 'object' || a === null) return verdict(false, 'not an accusation')
  if (a.kind === 'false-claim') {
    const c = claimOf(a.claim)
    if (typeof c === 'string') return verdict(false, c)
    return executorSigned(c) ? verdict(false, 'the executor did sign the checkpoint the claim is about') : verdict(true, `monitor signed a claim about a checkpoint at length ${c.length} the executor never signed`)
  }
  if (a.kind === 'equivocation') {
    if (!Array.isArray(a.claims) || a.claims.length !== 2) return verdict(false, 'an equivocation needs two claims')
    const [x, y] = a.claims.map((v) => claimOf(v))
    if (typeof x === 'string') return verdict(false, x)
    if (typeof y === 'string') return verdict(false, y)
    const why = equivocation(x, y)
    return why ? verdict(true, `the monitor ${why}`) : verdict(false, 'the two claims do not contradict each other')
  }
  if (a.kind === 'executor-fork') {
    if (!Array.isArray(a.claims) || a.claims.length !== 2) return verdict(false, 'a fork needs two claims')
    const [x, y] = a.claims.map((v) => claimOf(v, false))
    if (typeof x === 'string') return verdict(false, x)
    if (typeof y === 'string') return verdict(false, y)
    if (!executorSigned(x) || !executorSigned(y)) return verdict(false, 'a claim carries no valid executor signature')
    if (x.signer !== y.signer || x.signer !== a.monitor) return verdict(false, 'the claims name another executor key than the accused')
    if (x.length !== y.length || claimCheckpointText(x) === claimCheckpointText(y)) return verdict(false, 'the two checkpoints are not two versions of one length')
    return verdict(true, `the executor signed two different checkpoints of length ${x.length}`)
  }
  if (a.kind === 'refuted') {
    const c = claimOf(a.claim)
    if (typeof c === 'string') return verdict(false, c)
    const { judge } = await import('../verify/judge.js')
    const judged = await judge(a.fraudProof, { key: database })
    if (judged.verdict !== 'proven') return verdict(false, `the fraud proof is ${judged.verdict}: ${judged.reason}`)
    if (c.length <= judged.seq) return verdict(false, `the fraud proof is about entry ${judged.seq}, which the claim (through length ${c.length}) does not cover`)
    return verdict(true, `the monitor claimed the log valid through length ${c.length}, and entry ${judged.seq} breaks the contract (${judged.class})`)
  }
  return verdict(false, `unknown accusation kind ${JSON.stringify((a as { kind?: unknown }).kind)}`)
}
