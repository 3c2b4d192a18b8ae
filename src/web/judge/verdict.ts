// What the judge page says about one file: a fraud proof goes to the judge, a state proof or a
// receipt to checkProof, in the words of `glassbox judge` and `glassbox proof verify`. Runs in Node
// (the tests compare with it) and in the browser, where `retry` prepares what a first run missed.

import { FILE_KEY_NOTE, judgeVerdictText, proofVerdictText, type KeySource } from '../../cli/verdict-text.js'
import { ProofError } from '../../log/proof-shape.js'
import { checkProof } from '../../participant/check-proof.js'
import { PROOF_FORMAT } from '../../participant/proof-files.js'
import { judge } from '../../verify/judge.js'

export type PageVerdict = 'proven' | 'not-proven' | 'valid' | 'invalid' | 'malformed'

export interface FileVerdictReturnType {
  /** Which check ran: the judge (fraud proofs) or the proof checker (state proofs, receipts). */
  check: 'judge' | 'proof verify'
  verdict: PageVerdict
  text: string
}

export interface FileVerdictOptions {
  /** The database key the reader trusts (hex); without it the file's own key is used, and said so. */
  key?: string
  /**
   * Called after a judgement; returns true when it prepared something the run lacked (a contract
   * transform, in the browser), and the file is judged again. A judgement is deterministic.
   */
  retry?: () => Promise<boolean>
}

export async function fileVerdict(text: string, opts: FileVerdictOptions = {}): Promise<FileVerdictReturnType> {
  const keySource: KeySource = opts.key === undefined ? 'file' : 'given'
  const keyOpts = opts.key === undefined ? {} : { key: opts.key }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return { check: 'judge', verdict: 'malformed', text: `malformed proof: not JSON: ${(err as Error).message}` }
  }
  const file = parsed as { format?: unknown; kind?: unknown } | null
  if (file !== null && typeof file === 'object' && file.format === PROOF_FORMAT && (file.kind === 'state' || file.kind === 'receipt')) {
    try {
      const r = checkProof(parsed, keyOpts)
      return { check: 'proof verify', verdict: r.valid ? 'valid' : 'invalid', text: proofVerdictText(r, keySource) }
    } catch (err) {
      if (err instanceof ProofError) return { check: 'proof verify', verdict: 'malformed', text: err.message }
      throw err
    }
  }
  for (let round = 0; ; round++) {
    const r = await judge(parsed, keyOpts)
    if (round < 8 && opts.retry !== undefined && (await opts.retry())) continue
    if (r.verdict === 'malformed') return { check: 'judge', verdict: 'malformed', text: `malformed proof: ${r.reason}` }
    return { check: 'judge', verdict: r.verdict, text: judgeVerdictText(r, keySource) }
  }
}

export { FILE_KEY_NOTE }
