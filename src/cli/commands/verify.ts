// `glassbox verify`: replay the logs and check every index entry against the contract.

import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { printResult } from '../output.js'
import { progressPrinter, reportText } from '../report.js'
import { serverSession } from '../session.js'
import type { VerifyReport } from '../../verify/monitor.js'
import { defaultCheckpointPath, verifyDirectory } from '../../verify/verify-dir.js'

export interface VerifyParameters {
  dir: string
  /** Resume from and update D/monitor.json instead of verifying from the start. */
  checkpoint: boolean
  onProgress?: (done: number, total: number) => void
}
export type VerifyReturnType = VerifyReport

export async function verify(p: VerifyParameters): Promise<VerifyReturnType> {
  const server = await serverSession(p.dir)
  if (server) {
    try {
      return await server.request('verify', { checkpoint: p.checkpoint })
    } finally {
      await server.close()
    }
  }
  // Opened as logs, not as a Database, so that a log with hostile entries can still be judged.
  return verifyDirectory(p.dir, {
    checkpointPath: p.checkpoint ? defaultCheckpointPath(p.dir) : null,
    ...(p.onProgress ? { onProgress: p.onProgress } : {}),
  })
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Replay the logs and check every index entry against the contract',
  usage: ['verify [--checkpoint] [--dir D] [--json]'],
  flags: [['--checkpoint', 'resume from D/monitor.json and update it (default: verify from the start)'], ...COMMON_FLAGS],
  notes: ['Exit codes: 0 valid, 1 a breach was found (the notice says which entry and why), 2 an error.'],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('verify', args, { ...COMMON_OPTIONS, checkpoint: { type: 'boolean' } })
    positionals('verify', given, [])
    const json = values.json ?? false
    const result = await verify({
      dir: values.dir ?? DEFAULT_DIR,
      checkpoint: values.checkpoint ?? false,
      ...(json ? {} : { onProgress: progressPrinter() }),
    })
    printResult(io, json, result, reportText)
    return result.valid ? EXIT.ok : EXIT.negative
  },
}
