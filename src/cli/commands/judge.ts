// `glassbox judge FILE`: checks a fraud proof file with nothing but the file (and a database key).

import { writeFile } from 'node:fs/promises'
import { EXIT, parseFlags, positionals, type Command } from '../command.js'
import { printResult, type Output } from '../output.js'
import { malformedProof } from '../../log/proof-shape.js'
import { judgeText, type JudgeReturnType } from '../../verify/judge.js'
import { judgePageHtml } from '../../web/judge/index.js'
import { judgeVerdictText, type KeySource } from '../verdict-text.js'
import { readProofFile } from './proof.js'
import { DISPUTE_FORMAT, judgeDispute, type DisputeVerdict } from '../../dispute/transcript.js'
import { disputeVerdictText } from './dispute.js'

export interface JudgeParameters {
  file: string
  /** The database the caller cares about (hex); a proof about another one is not proven. */
  key?: string
}
/** `keySource` as in `proof verify`: 'file' when the key checked against is the one the file names. */
export type JudgeCommandReturnType = JudgeReturnType & { file: string; bytes: number; ms: number; keySource: KeySource }

/** Judges a fraud proof file; a missing or unreadable file throws (an error, not a verdict). */
export async function judgeFile(p: JudgeParameters): Promise<JudgeCommandReturnType> {
  const text = await readProofFile(p.file)
  const started = performance.now()
  const verdict = await judgeText(text, p.key === undefined ? {} : { key: p.key })
  return { ...verdict, file: p.file, bytes: Buffer.byteLength(text), ms: performance.now() - started, keySource: p.key === undefined ? 'file' : 'given' }
}

/** A dispute transcript (docs/protocol.md §13.5) judged, or null when the file is not one. */
async function judgeDisputeFile(file: string, key: string | undefined): Promise<(DisputeVerdict & { file: string }) | null> {
  const text = await readProofFile(file)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  if ((parsed as { format?: unknown } | null)?.format !== DISPUTE_FORMAT) return null
  return { ...(await judgeDispute(parsed, key === undefined ? {} : { key })), file }
}

function judgeLine(r: JudgeCommandReturnType): string {
  return judgeVerdictText(r, r.keySource)
}

/** Writes the self-contained judge page (built here, in about two seconds). */
async function writePage(io: Output, file: string, json: boolean): Promise<number> {
  const { html, ms } = await judgePageHtml()
  await writeFile(file, html)
  const result = { page: file, bytes: Buffer.byteLength(html), buildMs: Math.round(ms) }
  printResult(io, json, result, (r) => `wrote the judge page to ${r.page} (${r.bytes} bytes, built in ${r.buildMs} ms): open it in a browser, no server needed`)
  return EXIT.ok
}

export const judgeCommand: Command = {
  name: 'judge',
  summary: 'Check a fraud proof file or a dispute transcript without the logs',
  usage: ['judge FILE [--key DBKEY] [--json]', 'judge --page OUT.html'],
  flags: [
    ['--key DBKEY', 'the database key the proof must be about (default: the key the file names, which the output then says)'],
    ['--json', 'print one JSON document on stdout instead of text'],
    ['--page OUT.html', 'write the judge page instead: one HTML file that checks proof files in a browser, offline (docs/judge-page.md)'],
    ['-h, --help', 'show this help'],
  ],
  notes: [
    'FILE is a fraud proof (`verify` writes them) or a dispute transcript (`dispute` writes them): a',
    'transcript is decided by its signatures, its bisection and the one entry it ends on, re-executed here.',
    'Exit codes: 0 breach proven (a dispute: decided), 1 not proven (unfinished), 2 a malformed or unreadable',
    'file (said on stderr).',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('judge', args, {
      key: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      dir: { type: 'string' },
      page: { type: 'string' },
    })
    if (values.page !== undefined) return writePage(io, values.page, values.json ?? false)
    const [file] = positionals('judge', given, ['FILE'])
    const dispute = await judgeDisputeFile(file, values.key)
    if (dispute) {
      if (dispute.verdict === 'malformed') throw malformedProof(`malformed dispute transcript: ${dispute.reason}`)
      printResult(io, values.json ?? false, dispute, disputeVerdictText)
      return dispute.verdict === 'decided' ? EXIT.ok : EXIT.negative
    }
    const result = await judgeFile({ file, ...(values.key === undefined ? {} : { key: values.key }) })
    // A malformed file is an error (exit 2, one line on stderr), not a verdict.
    if (result.verdict === 'malformed') throw malformedProof(`malformed proof: ${result.reason}`)
    printResult(io, values.json ?? false, result, judgeLine)
    return result.verdict === 'proven' ? EXIT.ok : result.verdict === 'not-proven' ? EXIT.negative : EXIT.error
  },
}
