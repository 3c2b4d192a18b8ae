// Human renderings of verification results and breach notices, shared by verify and monitor.

import { BREACH_CLASSES, describeBreach, type BreachNotice } from '../verify/breach.js'
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

export function reportText(r: VerifyReport): string {
  const resumed = r.resumedFrom > 0 ? `, resumed at #${r.resumedFrom}` : ''
  const speed = r.seconds > 0 && r.ops >= 1000 ? `, ${Math.round(r.ops / r.seconds)} ops/s` : ''
  const head = `${r.verified} of ${r.length} index entries verified (${r.ops} ops in ${r.seconds.toFixed(2)} s${speed}${resumed})`
  if (r.valid) return `valid: ${head}\ndatabase ${r.key}`
  return `${noticeText(r.breach!)}\n${head}`
}

/** A progress line on stderr, redrawn in place on a terminal and at most every few percent elsewhere. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
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
      stream.write(`\rverifying [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`)
    } else {
      if (pct < last + 10 && done !== total) return
      stream.write(`verifying: ${done}/${total} (${pct}%)\n`)
    }
    last = pct
    lastAt = now
  }
}
