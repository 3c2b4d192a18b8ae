// `glassbox sandbox`: fork a database under a changed contract, replay its history under the new
// code, say which entries would differ, and keep the fork for calls (README, "Trying a changed contract").

import { inlineJson, printResult, shortKey } from '../output.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { progressPrinter } from '../report.js'
import { UsageError } from '../../errors.js'
import type { EntryDifference, Outcome, SandboxParameters, SandboxReturnType } from '../../sandbox/index.js'

export type { SandboxParameters, SandboxReturnType }

export async function sandbox(p: SandboxParameters): Promise<SandboxReturnType> {
  // Loaded on use, so `glassbox --help` starts fast.
  const lib = await import('../../sandbox/index.js')
  return lib.sandbox(p)
}

/** The default place of the fork: beside the original, named for it. */
export function defaultSandboxDir(dir: string): string {
  return `${dir.replace(/[/\\]+$/, '')}-sandbox`
}

function outcomeText(o: Outcome): string {
  return o.success ? 'ok' : `failed: ${o.error}`
}

function differenceText(d: EntryDifference): string {
  const head = `#${d.position} op ${shortKey(d.origin)}/${d.opSeq}${d.op === null ? '' : ` ${inlineJson(d.op)}`}`
  const lines = [head]
  if (d.notProcessed) lines.push(`  not processed: ${d.notProcessed}`)
  if (d.outcome) lines.push(`  outcome   was ${outcomeText(d.outcome.was)}; now ${outcomeText(d.outcome.now)}`)
  if (d.changes) {
    lines.push(`  changes   was ${inlineJson(d.changes.was)}`)
    lines.push(`            now ${inlineJson(d.changes.now)}`)
  }
  if (d.metadata) lines.push(`  metadata  was ${inlineJson(d.metadata.was)}; now ${inlineJson(d.metadata.now)}`)
  return lines.join('\n')
}

function human(r: SandboxReturnType): string {
  const summary =
    r.differing === 0
      ? `no differences: all ${r.ops} op(s) give the same outcome and changes under ${r.contract.file}`
      : `${r.differing} of ${r.ops} op(s) would differ; the first at index #${r.firstDiffering}`
  return [
    ...r.differences.map(differenceText),
    summary,
    `sandbox ${r.key} (a fork of ${shortKey(r.original.key)}, with its own keys) in ${r.dir}`,
    `call it freely: glassbox call <method> --dir ${r.dir}   (or: glassbox repl --dir ${r.dir})`,
  ].join('\n')
}

const options = {
  ...COMMON_OPTIONS,
  contract: { type: 'string' },
  into: { type: 'string' },
} as const

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'Fork a database under a changed contract: replay its history, show what would differ',
  usage: ['sandbox --contract FILE [--into S] [--dir D] [--json]'],
  flags: [
    ['--contract FILE', 'the changed contract (.js or .ts) to replay the history under'],
    ['--into S', 'where to keep the fork (default: D-sandbox); it must not exist yet'],
    ...COMMON_FLAGS,
  ],
  notes: [
    'The original directory is only read. The fork is a database of its own: its own index key, a local',
    `oplog named "sandbox" declared an input at genesis (calls in the fork are signed into it), the`,
    "participants' oplogs copied as they are, and a sandbox.json that `glassbox info` reports.",
    'An entry differs when the new code gives another outcome (success or error), other changes, or',
    "other process() metadata; an op whose oplog the new code never made an input is not processed. State",
    'roots are not compared (the fork holds its own input). Once the state has diverged, later ops run on',
    "the fork's state. A contract upgrade in the history switches the code as the new contract decides.",
    'The history is compared as written, not verified (that is `glassbox verify`): an entry the executor got',
    'wrong shows as a difference; a log whose acks do not match its oplogs is refused.',
    'Progress goes to stderr on long histories. Exit codes: 0 no differences, 1 some entries differ, 2 errors.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('sandbox', args, options)
    positionals('sandbox', given, [])
    if (values.contract === undefined) throw new UsageError('USAGE', 'missing --contract FILE (usage: glassbox sandbox --contract FILE [--into S] [--dir D])')
    const dir = values.dir ?? DEFAULT_DIR
    const json = values.json ?? false
    const result = await sandbox({
      dir,
      contract: values.contract,
      into: values.into ?? defaultSandboxDir(dir),
      onProgress: progressPrinter(process.stderr, 'replaying'),
    })
    printResult(io, json, result, human)
    return result.differing === 0 ? EXIT.ok : EXIT.negative
  },
}
