// `glassbox dispute URL`: challenge a server's state root by bisection (docs/protocol.md §13) and
// write the transcript, which `glassbox judge` decides alone.

import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { UsageError } from '../../errors.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { jsonText, printResult, shortKey } from '../output.js'
import type { ChallengeResult } from '../../dispute/challenge.js'
import type { DisputeVerdict } from '../../dispute/transcript.js'

/** One line for a verdict, as `dispute` and `judge` print it. */
export function disputeVerdictText(v: DisputeVerdict): string {
  if (v.verdict === 'malformed') return `malformed transcript: ${v.reason}`
  if (v.verdict === 'unfinished') return `dispute unfinished after ${v.rounds} round(s) (bound ${v.bound}): ${v.reason}`
  const how = v.reason === 'step' ? `at entry ${v.at}` : v.reason === 'contradiction' ? `by contradicting itself at length ${v.at}` : 'by forfeit'
  return `dispute decided: the ${v.wrong} (${shortKey(v.party)}) was wrong ${how}, in ${v.rounds} round(s) (bound ${v.bound}): ${v.message}`
}

type DisputeCommandResult = Omit<ChallengeResult, 'transcript'> & { file: string; messages: number; bytes: number }

export const disputeCommand: Command = {
  name: 'dispute',
  summary: "Challenge a server's state root by bisection, down to one entry anyone can re-execute",
  usage: ['dispute URL [--from N] [--to N] [--root HEX] [--deadline MS] [--out FILE] [--dir D] [--json]'],
  flags: [
    ['--from N', 'the length both sides agree on (default: right after genesis)'],
    ['--to N', "the length whose root is disputed (default: the last seal's)"],
    ['--root HEX', 'the root at --to to dispute (default: the one the executor signed there)'],
    ['--deadline MS', 'how long each answer may take before its party forfeits (default 120000)'],
    ['--out FILE', 'where to write the transcript (default D/disputes/<id>.json)'],
    ...COMMON_FLAGS,
  ],
  notes: [
    "D holds a replica of the database's logs (a monitor's directory, or one made by `verify <key> --dir D`",
    "or `sync`); this side re-executes the history in it and disputes the root the server's executor signed,",
    "as challenger, signing with D's monitor key. URL is the server's HTTP API (`serve --http`), which defends",
    'the roots its executor signed. Each round the server signs its root at the middle of the range still',
    'disputed and this side says whether it agrees, until one entry is left: at most ceil(log2 n) + 1',
    'rounds for n entries. That entry is then re-executed from the root both agreed on, statelessly.',
    'The transcript is self-contained: `glassbox judge FILE` checks every signature and the step alone.',
    'Exit codes: 0 the server was found wrong, 1 this side was (or the game did not finish), 2 an error',
    '(no disagreement to dispute, the server refused the dispute or is unreachable).',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('dispute', args, {
      ...COMMON_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      root: { type: 'string' },
      deadline: { type: 'string' },
      out: { type: 'string' },
    })
    const [url] = positionals('dispute', given, ['URL'])
    if (!/^https?:\/\//.test(url)) throw new UsageError('USAGE', `${url} is not an http(s) URL of a server's API`)
    if (values.root !== undefined && !/^[0-9a-f]{64}$/.test(values.root)) throw new UsageError('USAGE', '--root must be 64 lowercase hex characters')
    const deadline = intFlag('deadline', values.deadline)
    if (deadline !== undefined && deadline < 1) throw new UsageError('USAGE', '--deadline must be at least 1 ms')
    const from = intFlag('from', values.from)
    const to = intFlag('to', values.to)
    const json = values.json ?? false
    const dir = values.dir ?? DEFAULT_DIR
    const { challenge } = await import('../../dispute/challenge.js')
    const result = await challenge(dir, url, {
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(values.root === undefined ? {} : { root: values.root }),
      ...(deadline === undefined ? {} : { deadlineMs: deadline }),
      ...(json ? {} : { onMove: (move, r) => move.type === 'answer' && io.err(`round ${r.round}: disputed range now ${r.lo}..${r.hi}`) }),
    })
    const file = path.resolve(values.out ?? path.join(dir, 'disputes', `${result.dispute.slice(0, 16)}.json`))
    const text = jsonText(result.transcript) + '\n'
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, text)
    const { transcript, ...rest } = result
    const out: DisputeCommandResult = { ...rest, file, messages: transcript.messages.length, bytes: Buffer.byteLength(text) }
    printResult(io, json, out, (r) => `${disputeVerdictText(r.verdict)}\ntranscript written to ${r.file} (${r.messages} messages, ${r.bytes} bytes; check it with: glassbox judge ${r.file})`)
    return result.verdict.verdict === 'decided' && result.verdict.wrong === 'defender' ? EXIT.ok : EXIT.negative
  },
}
