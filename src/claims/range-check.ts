// Checking a proof of execution for a range (docs/protocol.md §11.6) with nothing but the file and
// the database key: every op of the range is re-executed statelessly as the judge does, every seal
// is checked against the state before it, and the whole range is shown in the one log its anchor
// seal signs. Browser-safe (the judge's contract VM runs in browsers).

import { toHex } from '../codec/hash.js'
import type { SealEntry } from '../codec/messages.js'
import { openEntry, openSeal } from '../log/sealed-entry.js'
import type { ExecutionRange } from '../verify/execution-range.js'

export type RangeVerdict =
  | { valid: true; from: number; to: number; fromRoot: string; toRoot: string }
  | { valid: false; reason: string; breach?: { seq: number; class: string; message: string; fraudProof: unknown } }

export async function checkExecutionRange(value: unknown, key: string): Promise<RangeVerdict> {
  const bad = (reason: string): RangeVerdict => ({ valid: false, reason })
  if (typeof value !== 'object' || value === null) return bad('not a range proof')
  const r = value as ExecutionRange
  if (r.format !== 'glassbox-execution/1' || r.key !== key || !Number.isSafeInteger(r.from) || !Number.isSafeInteger(r.to) || !Array.isArray(r.steps)) {
    return bad(`not a range proof of database ${key.slice(0, 8)}…`)
  }
  const { recheckExecution } = await import('../verify/judge.js')
  let seal: SealEntry
  let root: string
  try {
    seal = openSeal(r.anchor, key)
    if (seal.length !== r.to) return bad(`the anchor seal covers ${seal.length} entries, not the range's end ${r.to}`)
    const start = openEntry(r.start, seal)
    if (r.start.position !== r.from - 1 || (start.type !== 'op' && start.type !== 'seal')) return bad(`entry ${r.from - 1} before the range carries no state root`)
    root = toHex(start.stateRoot)
  } catch (err) {
    return bad((err as Error).message)
  }
  const fromRoot = root
  let p = r.from
  for (const step of r.steps) {
    if (step?.kind === 'op') {
      const checked = await recheckExecution(step.proof, key)
      if (checked.result === 'breach') return { valid: false, reason: `entry ${checked.seq} breaks the contract: ${checked.message}`, breach: { ...checked, fraudProof: step.proof } }
      if (checked.result === 'refused') return bad(`entry ${p}: ${checked.reason}`)
      if (checked.seq !== p) return bad(`the step for entry ${p} re-executes entry ${checked.seq}`)
      if (checked.anchor.length !== seal.length || toHex(checked.anchor.treeHash) !== toHex(seal.treeHash)) return bad(`entry ${p} is proven under another seal than the range's`)
      if (toHex(checked.previousRoot) !== root) return bad(`entry ${p} starts from another state than the entry before it left`)
      root = toHex(checked.entry.stateRoot)
    } else if (step?.kind === 'seal') {
      try {
        const e = openEntry(step.entry, seal)
        if (step.entry.position !== p || e.type !== 'seal') return bad(`the step for entry ${p} is not the seal there`)
        if (e.length !== p) return bad(`the seal at ${p} claims to cover ${e.length} entries`)
        if (toHex(e.stateRoot) !== root) return bad(`the seal at ${p} signs another state root than the entry before it`)
      } catch (err) {
        return bad(`entry ${p}: ${(err as Error).message}`)
      }
    } else {
      return bad(`step ${p - r.from} is neither an op nor a seal`)
    }
    p++
  }
  if (p !== r.to) return bad(`the steps end at entry ${p}, not at the range's end ${r.to}`)
  if (toHex(seal.stateRoot) !== root) return bad(`the anchor seal signs state root ${toHex(seal.stateRoot).slice(0, 8)}…, the range re-executes to ${root.slice(0, 8)}…`)
  return { valid: true, from: r.from, to: r.to, fromRoot, toRoot: root }
}
