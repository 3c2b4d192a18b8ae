// `glassbox key FILE`: a key pair in a file (glassbox-key/1), made if there is none, and its public
// key: a reader's identity for a confidential database (`init --reader`, `verify --reader-key`), and
// the same kind of file `verify --segment --key` and `attest --test-attester` sign with.

import { existsSync } from 'node:fs'
import path from 'node:path'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { UsageError } from '../../errors.js'
import { printResult } from '../output.js'

export interface KeyReturnType {
  file: string
  publicKey: string
  /** Whether this run made the key pair (false: it was in the file already). */
  created: boolean
}

/** Writes the executor's key pair of the database in `dir` to `file`, for its standby (docs/protocol.md §18). */
export async function executorKey(file: string, dir: string): Promise<KeyReturnType> {
  if (existsSync(file)) throw new UsageError('USAGE', `${file} exists already: the executor's key pair is written to a new file only`)
  const { openDatabase } = await import('../session.js')
  const db = await openDatabase(dir)
  try {
    return { file: path.resolve(file), publicKey: await db.writeExecutorKey(file), created: true }
  } finally {
    await db.close()
  }
}

export async function key(file: string): Promise<KeyReturnType> {
  const { loadOrCreateKey } = await import('../../claims/verifier-key.js')
  const created = !existsSync(file)
  const secretKey = await loadOrCreateKey(file)
  return { file: path.resolve(file), publicKey: Buffer.from(secretKey.subarray(32)).toString('hex'), created }
}

function human(r: KeyReturnType): string {
  return `${r.publicKey}\n  ${r.created ? 'a new key pair, written to' : 'the key pair in'} ${r.file} (keep it private: it opens what is sealed to it, and signs as it)`
}

export const keyCommand: Command = {
  name: 'key',
  summary: 'Make or show a key pair in a file: a reader of confidential databases, a signer of claims',
  usage: ['key <key-file> [--json]', 'key <key-file> --executor [--dir D] [--json]'],
  flags: [['--executor', "write the executor's key pair of the database in D instead: what its standby holds (serve --standby)"], ...COMMON_FLAGS],
  notes: [
    'The file is made readable by its owner only, and never overwritten. The public key is printed.',
    "With --executor, run it in the executor's directory while no `glassbox serve` holds it; the file signs",
    'the database (and, for a confidential one, its keys log): give it only to the standby, over a channel you trust.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('key', args, { ...COMMON_OPTIONS, executor: { type: 'boolean' } })
    const [file] = positionals('key', given, ['<key-file>'])
    if (values.dir !== undefined && !values.executor) throw new UsageError('USAGE', '--dir goes with --executor')
    printResult(io, values.json ?? false, values.executor ? await executorKey(file, values.dir ?? DEFAULT_DIR) : await key(file), human)
    return EXIT.ok
  },
}
