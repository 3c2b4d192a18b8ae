// `glassbox monitor`: verify continuously, print breach notices and append them to a file.

import { appendFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { inlineJson } from '../output.js'
import { shutdownSignal } from '../signals.js'
import { noticeText } from '../report.js'
import { serverSession } from '../session.js'
import type { BreachNotice } from '../../verify/breach.js'
import { defaultCheckpointPath, openLogs } from '../../verify/verify-dir.js'

export interface MonitorParameters {
  dir: string
  /** Where notices are appended, one JSON document per line. */
  noticesPath: string
  /** How often to ask a `serve` process for progress, in ms. */
  intervalMs: number
  onVerified(length: number): void
  onBreach(notice: BreachNotice): void
  /** Resolves when the monitor should stop. */
  until: Promise<unknown>
}

/** Runs until `until` resolves or a breach is found; returns the breach, if any. */
export async function monitor(p: MonitorParameters): Promise<BreachNotice | null> {
  const record = async (notice: BreachNotice) => {
    await appendFile(p.noticesPath, JSON.stringify(notice) + '\n')
    p.onBreach(notice)
  }
  const server = await serverSession(p.dir)
  if (server) {
    // The server holds the directory: poll it; its checkpoint makes each round incremental.
    try {
      let last = -1
      let stopped = false
      void p.until.then(() => (stopped = true))
      while (!stopped) {
        const report = await server.request('verify', { checkpoint: true })
        if (report.breach) {
          await record(report.breach)
          return report.breach
        }
        if (report.verified !== last) p.onVerified((last = report.verified))
        await Promise.race([sleep(p.intervalMs), p.until])
      }
      return null
    } finally {
      await server.close()
    }
  }
  const { store, monitor: newMonitor } = await openLogs(p.dir)
  const m = newMonitor({ checkpointPath: defaultCheckpointPath(p.dir) })
  try {
    await m.open()
    const breach = new Promise<BreachNotice>((resolve) => m.once('violation', resolve))
    m.on('verified', ({ length }: { length: number }) => p.onVerified(length))
    const errors = new Promise<never>((_, reject) => m.once('error', reject))
    const first = await m.watch()
    if (first.breach) {
      await record(first.breach)
      return first.breach
    }
    const ended = await Promise.race([breach, p.until.then(() => null), errors])
    if (ended) await record(ended)
    return ended
  } finally {
    await m.stop()
    await store.close()
  }
}

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'Verify continuously as the logs grow; print breach notices and append them to a file',
  usage: ['monitor [--notices FILE] [--interval MS] [--dir D] [--json]'],
  flags: [
    ['--notices FILE', 'append breach notices here, one JSON per line (default D/breaches.jsonl)'],
    ['--interval MS', 'how often to poll a running `glassbox serve` (default 1000)'],
    ...COMMON_FLAGS,
  ],
  notes: [
    'Resumes from D/monitor.json, so a restarted monitor does not start over.',
    'Stops on SIGINT/SIGTERM (exit 0) or at the first breach (exit 1): after a breach the',
    "executor's later entries cannot be trusted, so there is nothing further to verify.",
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('monitor', args, {
      ...COMMON_OPTIONS,
      notices: { type: 'string' },
      interval: { type: 'string' },
    })
    positionals('monitor', given, [])
    const dir = values.dir ?? DEFAULT_DIR
    const json = values.json ?? false
    const breach = await monitor({
      dir,
      noticesPath: values.notices ?? path.join(dir, 'breaches.jsonl'),
      intervalMs: intFlag('interval', values.interval) ?? 1000,
      until: shutdownSignal(io, 'stopping the monitor'),
      onVerified: (length) => io.out(json ? inlineJson({ verified: length }) : `verified ${length} index entries`),
      onBreach: (notice) => io.out(json ? inlineJson({ breach: notice }) : noticeText(notice)),
    })
    return breach ? EXIT.negative : EXIT.ok
  },
}
