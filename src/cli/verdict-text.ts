// The words `glassbox proof verify` and `glassbox judge` print for a verdict, shared with the judge
// page (src/web/judge/), which says the same thing in the browser. Nothing here reads files.

import type { CheckResult, RangeFacts } from '../participant/check-proof.js'
import type { JudgeReturnType } from '../verify/judge.js'
import { inlineJson, shortKey } from './output.js'

/** 'given' when checked against a key the caller passed, 'file' when against the key the file names. */
export type KeySource = 'given' | 'file'

/** Said after every verdict reached without --key: the file chose the key it was checked against. */
export const FILE_KEY_NOTE = 'checked against the key named in the file; pass --key to check against a key you trust'

/** `glassbox proof verify`'s words for a checked state proof or receipt. */
export function proofVerdictText(r: CheckResult, keySource: KeySource): string {
  const note = keySource === 'file' ? `\n${FILE_KEY_NOTE}` : ''
  return verdict(r) + note
}

function verdict(r: CheckResult): string {
  if (!r.valid) return `invalid: ${r.reason}`
  const under = `under the seal of ${r.seal.length} entries of database ${shortKey(r.seal.key)} (state root ${r.seal.stateRoot.slice(0, 8)}…)`
  if (r.kind === 'state') {
    const s = r.state
    if (s.kind === 'range') return [`valid: ${rangeText(s)} ${under}`, ...s.entries.map((e) => `  ${e.key} = ${inlineJson(e.value)}`)].join('\n')
    return `valid: ${s.found ? `${s.key} = ${inlineJson(s.value)}` : `${s.key} has no value`} ${under}`
  }
  const lines = [`valid: a receipt of ${r.ops.length} op(s) ${under}`]
  for (const op of r.ops) {
    const outcome = op.success ? 'ok' : `failed: ${op.error}`
    lines.push(`  op ${shortKey(op.origin)}/${op.seq}: acknowledged at index ${op.position}: ${outcome} (in oplog ${shortKey(op.origin)} at the length and root the ack names)`)
    for (const s of op.state) lines.push(`    now ${s.key} = ${inlineJson(s.value)}`)
  }
  // An executor can acknowledge an op it made up: only the oplog's own signature tells them apart.
  lines.push('  the receipt shows what the executor acknowledged; it holds no signature of the participants, so it does not show that they signed these ops (monitors that replicate the oplogs check that)')
  return lines.join('\n')
}

/** What a range proof proves: the first entries of the range, and whether they are all of it. */
function rangeText(s: RangeFacts): string {
  const range = [`the range of keys starting with ${JSON.stringify(s.prefix)}`]
  if (s.gt !== undefined) range.push(`after ${JSON.stringify(s.gt)}`)
  if (s.lt !== undefined) range.push(`before ${JSON.stringify(s.lt)}`)
  const n = s.entries.length
  if (s.complete) return `the whole of ${range.join(' ')}: ${n} ${n === 1 ? 'entry' : 'entries'}, complete (the range holds no other key)`
  if (n === 0) return `no entries of ${range.join(' ')} (limit ${s.limit}): nothing about the range is proven`
  const last = JSON.stringify(s.entries[n - 1].key)
  const which = s.reverse ? `the last ${n} entries (limit ${s.limit}, from the highest key down)` : `entries 1..${n} (limit ${s.limit}, in key order)`
  return `${which} of ${range.join(' ')}: none of the range is missing up to ${last}, but the range may continue past it (its completeness is not proven)`
}

/** `glassbox judge`'s words for a verdict (a malformed file is an error there, said apart). */
export function judgeVerdictText(r: JudgeReturnType, keySource: KeySource): string {
  const line = r.verdict === 'proven' ? `breach proven: ${r.class} at index #${r.seq} of database ${r.key}: ${r.message}` : `not proven: ${r.verdict === 'not-proven' ? r.reason : ''}`
  return keySource === 'file' ? `${line}\n${FILE_KEY_NOTE}` : line
}
