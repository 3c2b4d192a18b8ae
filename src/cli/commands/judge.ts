// `glassbox judge FILE`: checks a fraud proof file with nothing but the file (and a database key).

import { readFile } from 'node:fs/promises'
import { EXIT, parseFlags, positionals, type Command } from '../command.js'
import { printResult } from '../output.js'
import { judgeText, type JudgeReturnType } from '../../verify/judge.js'

export interface JudgeParameters {
  file: string
  /** The database the caller cares about (hex); a proof about another one is not proven. */
  key?: string
}
export type JudgeCommandReturnType = JudgeReturnType & { file: string; bytes: number; ms: number }

export async function judgeFile(p: JudgeParameters): Promise<JudgeCommandReturnType> {
  let text: string
  try {
    text = await readFile(p.file, 'utf8')
  } catch (err) {
    return { verdict: 'malformed', reason: `cannot read ${p.file}: ${(err as Error).message}`, file: p.file, bytes: 0, ms: 0 }
  }
  const started = performance.now()
  const verdict = await judgeText(text, p.key === undefined ? {} : { key: p.key })
  return { ...verdict, file: p.file, bytes: Buffer.byteLength(text), ms: performance.now() - started }
}

function judgeLine(r: JudgeCommandReturnType): string {
  if (r.verdict === 'proven') return `breach proven: ${r.class} at index #${r.seq} of database ${r.key}: ${r.message}`
  if (r.verdict === 'not-proven') return `not proven: ${r.reason}`
  return `malformed proof: ${r.reason}`
}

export const judgeCommand: Command = {
  name: 'judge',
  summary: 'Check a fraud proof file without the logs',
  usage: ['judge FILE [--key DBKEY] [--json]'],
  flags: [
    ['--key DBKEY', 'the database key the proof must be about (default: the key the file names)'],
    ['--json', 'print one JSON document on stdout instead of text'],
    ['-h, --help', 'show this help'],
  ],
  notes: ['Exit codes: 0 breach proven, 1 not proven, 2 a malformed or unreadable file.'],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('judge', args, {
      key: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      dir: { type: 'string' },
    })
    const [file] = positionals('judge', given, ['FILE'])
    const result = await judgeFile({ file, ...(values.key === undefined ? {} : { key: values.key }) })
    printResult(io, values.json ?? false, result, judgeLine)
    return result.verdict === 'proven' ? EXIT.ok : result.verdict === 'not-proven' ? EXIT.negative : EXIT.error
  },
}
