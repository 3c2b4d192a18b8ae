// `glassbox proof verify`: check a state proof or a receipt offline, with nothing but the file and
// the database key (docs/protocol.md §9.3).

import { readFile } from 'node:fs/promises'
import { UsageError } from '../../errors.js'
import { malformedProof } from '../../log/proof-shape.js'
import { checkProof, type CheckResult } from '../../participant/check-proof.js'
import { COMMON_FLAGS, COMMON_OPTIONS, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { inlineJson, printResult, shortKey } from '../output.js'

export interface ProofVerifyParameters {
  /** The file's path, or '-' for stdin. */
  file: string
  /** The database key to check against (hex); without it, the file's own key is checked and reported. */
  key?: string
}
export type ProofVerifyReturnType = CheckResult

export async function proofVerify(p: ProofVerifyParameters): Promise<ProofVerifyReturnType> {
  if (p.key !== undefined && !/^[0-9a-f]{64}$/.test(p.key)) throw new UsageError('USAGE', '--key must be 64 lowercase hex characters')
  const text = p.file === '-' ? await readStdin() : await readFile(p.file, 'utf8')
  let file: unknown
  try {
    file = JSON.parse(text)
  } catch (err) {
    throw malformedProof(`${p.file} is not JSON: ${(err as Error).message}`)
  }
  return checkProof(file, p.key === undefined ? {} : { key: p.key })
}

function human(r: CheckResult): string {
  if (!r.valid) return `invalid: ${r.reason}`
  const under = `under the seal of ${r.seal.length} entries of database ${shortKey(r.seal.key)} (state root ${r.seal.stateRoot.slice(0, 8)}…)`
  if (r.kind === 'state') {
    const s = r.state
    if (s.kind === 'range') return [`valid: a complete range of ${s.entries.length} entries ${under}`, ...s.entries.map((e) => `  ${e.key} = ${inlineJson(e.value)}`)].join('\n')
    return `valid: ${s.found ? `${s.key} = ${inlineJson(s.value)}` : `${s.key} has no value`} ${under}`
  }
  const lines = [`valid: a receipt of ${r.ops.length} op(s) ${under}`]
  for (const op of r.ops) {
    const outcome = op.success ? 'ok' : `failed: ${op.error}`
    lines.push(`  op ${shortKey(op.origin)}/${op.seq}: signed in its oplog, acknowledged at index ${op.position}: ${outcome}`)
    for (const s of op.state) lines.push(`    now ${s.key} = ${inlineJson(s.value)}`)
  }
  return lines.join('\n')
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export const proofCommand: Command = {
  name: 'proof',
  summary: 'Check a state proof or a receipt offline: `proof verify FILE [--key DBKEY]`',
  usage: ['proof verify <file> [--key DBKEY] [--json]'],
  flags: [['--key DBKEY', 'the database key to trust (default: the key the file names, which is then reported)'], ...COMMON_FLAGS.filter(([f]) => !f.startsWith('--dir'))],
  notes: [
    'FILE is a file from `glassbox get KEY --proof` or `glassbox call ... --receipt FILE` ("-" reads stdin).',
    'Nothing else is read: no database, no network. Fraud proofs are checked with `glassbox judge`.',
    'Exit codes: 0 valid, 1 invalid (the reason is printed), 2 malformed or unreadable.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('proof', args, { ...COMMON_OPTIONS, key: { type: 'string' } })
    const [action, file] = positionals('proof', given, ['verify', '<file>'])
    if (action !== 'verify') throw new UsageError('USAGE', `unknown action "${action}" (usage: glassbox proof verify <file> [--key DBKEY])`)
    const result = await proofVerify({ file, ...(values.key === undefined ? {} : { key: values.key }) })
    printResult(io, values.json ?? false, result, human)
    return result.valid ? EXIT.ok : EXIT.negative
  },
}
