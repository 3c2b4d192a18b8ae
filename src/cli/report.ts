// Human renderings of verification results and breach notices, shared by verify and monitor.

import { BREACH_CLASSES, describeBreach, type BreachNotice } from '../verify/breach.js'
import { DEFAULT_SEAL_TIMEOUT_MS, type LivenessNotice } from '../verify/liveness.js'
import { intFlag } from './command.js'
import type { VerifyReport } from '../verify/monitor.js'
import { inlineJson } from './output.js'

export function noticeText(n: BreachNotice): string {
  const lines = [
    `BREACH ${describeBreach(n)}`,
    `  class     ${n.class}: ${BREACH_CLASSES[n.class]}`,
    `  expected  ${inlineJson(n.expected)}`,
    `  found     ${inlineJson(n.found)}`,
    `  evidence  ${inlineJson(n.evidence)}`,
  ]
  return lines.join('\n')
}

/** A liveness notice: one line, never worded as a breach. */
export function livenessText(n: LivenessNotice): string {
  return `NOTICE ${n.kind}: ${n.message} (since ${n.since})`
}

export const SEAL_TIMEOUT_FLAG = '--seal-timeout MS'
export const SEAL_TIMEOUT_HELP = `report entries left unsealed this long with a seal-overdue notice (default ${DEFAULT_SEAL_TIMEOUT_MS})`

export const OP_TIMEOUT_FLAG = '--op-timeout MS'
export const OP_TIMEOUT_HELP = `report an input's op left unacknowledged this long with an op-overdue, participant-starved or executor-silent notice (default ${DEFAULT_SEAL_TIMEOUT_MS})`

/** The liveness timeouts a monitor takes, from a command's flags. */
export interface LivenessTimeouts {
  sealTimeoutMs?: number
  opTimeoutMs?: number
}

export function livenessFrom(values: { 'seal-timeout'?: string; 'op-timeout'?: string }): LivenessTimeouts {
  const seal = intFlag('seal-timeout', values['seal-timeout'])
  const op = intFlag('op-timeout', values['op-timeout'])
  return { ...(seal === undefined ? {} : { sealTimeoutMs: seal }), ...(op === undefined ? {} : { opTimeoutMs: op }) }
}

/** The timeouts set in `p`, and no key for those left to the default. */
export function livenessOf(p: LivenessTimeouts): LivenessTimeouts {
  return { ...(p.sealTimeoutMs === undefined ? {} : { sealTimeoutMs: p.sealTimeoutMs }), ...(p.opTimeoutMs === undefined ? {} : { opTimeoutMs: p.opTimeoutMs }) }
}

export function reportText(r: VerifyReport): string {
  const resumed = r.resumedFrom > 0 ? `, resumed at #${r.resumedFrom}` : ''
  const speed = r.seconds > 0 && r.ops >= 1000 ? `, ${Math.round(r.ops / r.seconds)} ops/s` : ''
  const head = `${r.verified} of ${r.length} index entries verified (${r.ops} ops in ${r.seconds.toFixed(2)} s${speed}${resumed})`
  if (r.valid) return `valid: ${head}\ndatabase ${r.key}`
  return `${noticeText(r.breach!)}\n${head}`
}

/** A progress line on stderr, redrawn in place on a terminal and at most every few percent elsewhere. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr, label = 'verifying'): (done: number, total: number) => void {
  let last = -1
  let lastAt = 0
  return (done, total) => {
    if (total < 1000) return
    const pct = Math.floor((done / total) * 100)
    const now = Date.now()
    if (stream.isTTY) {
      if (pct === last && now - lastAt < 200) return
      const width = 30
      const filled = Math.round((done / total) * width)
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`)
    } else {
      if (pct < last + 10 && done !== total) return
      stream.write(`${label}: ${done}/${total} (${pct}%)\n`)
    }
    last = pct
    lastAt = now
  }
}
