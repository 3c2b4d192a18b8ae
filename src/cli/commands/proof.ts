// `glassbox proof verify`: check a state proof or a receipt offline, with nothing but the file and
// the database key (docs/protocol.md §9.3).

import { readFile } from 'node:fs/promises'
import { UsageError } from '../../errors.js'
import { malformedProof } from '../../log/proof-shape.js'
import { checkProof, type CheckResult } from '../../participant/check-proof.js'
import { COMMON_FLAGS, COMMON_OPTIONS, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { printResult } from '../output.js'
import { FILE_KEY_NOTE, proofVerdictText, type KeySource } from '../verdict-text.js'

export interface ProofVerifyParameters {
  /** The file's path, or '-' for stdin. */
  file: string
  /** The database key to check against (hex); without it, the file's own key is checked and reported. */
  key?: string
}
/**
 * `keySource`: 'given' when the file was checked against the key the caller passed (--key), 'file'
 * when against the key the file names, which proves only that the file is consistent with itself.
 */
export type ProofVerifyReturnType = CheckResult & { keySource: KeySource }
export type { KeySource }
export { FILE_KEY_NOTE }

export async function proofVerify(p: ProofVerifyParameters): Promise<ProofVerifyReturnType> {
  if (p.key !== undefined && !/^[0-9a-f]{64}$/.test(p.key)) throw new UsageError('USAGE', '--key must be 64 lowercase hex characters')
  const text = p.file === '-' ? await readStdin() : await readProofFile(p.file)
  let file: unknown
  try {
    file = JSON.parse(text)
  } catch (err) {
    throw malformedProof(`${p.file} is not JSON: ${(err as Error).message}`)
  }
  const result = checkProof(file, p.key === undefined ? {} : { key: p.key })
  return { ...result, keySource: p.key === undefined ? 'file' : 'given' }
}

function human(r: ProofVerifyReturnType): string {
  return proofVerdictText(r, r.keySource)
}

/** A proof file's text; a missing or unreadable file is said in words (exit 2, on stderr). */
export async function readProofFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UsageError('FILE_NOT_FOUND', `no proof file at ${file}`)
    if (code === 'EISDIR') throw new UsageError('FILE_IS_DIRECTORY', `${file} is a directory, not a proof file`)
    throw new UsageError('FILE_UNREADABLE', `cannot read the proof file ${file}: ${(err as Error).message}`)
  }
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
  flags: [['--key DBKEY', 'the database key to check against (default: the key the file names, which proves only that the file is consistent with itself; the output says so)'], ...COMMON_FLAGS.filter(([f]) => !f.startsWith('--dir'))],
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
