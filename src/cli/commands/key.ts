// `glassbox key FILE`: a key pair in a file (glassbox-key/1), made if there is none, and its public
// key: a reader's identity for a confidential database (`init --reader`, `verify --reader-key`), and
// the same kind of file `verify --segment --key` and `attest --test-attester` sign with.

import { existsSync } from 'node:fs'
import path from 'node:path'
import { COMMON_FLAGS, COMMON_OPTIONS, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { printResult } from '../output.js'

export interface KeyReturnType {
  file: string
  publicKey: string
  /** Whether this run made the key pair (false: it was in the file already). */
  created: boolean
}

export async function key(file: string): Promise<KeyReturnType> {
  const { loadOrCreateKey } = await import('../../claims/verifier-key.js')
  const created = !existsSync(file)
  const secretKey = await loadOrCreateKey(file)
  return { file: path.resolve(file), publicKey: Buffer.from(secretKey.subarray(32)).toString('hex'), created }
}

function human(r: KeyReturnType): string {
  return `${r.publicKey}\n  ${r.created ? 'a new key pair, written to' : 'the key pair in'} ${r.file} (keep it private: it opens what is sealed to it)`
}

export const keyCommand: Command = {
  name: 'key',
  summary: 'Make or show a key pair in a file: a reader of confidential databases, a signer of claims',
  usage: ['key <key-file> [--json]'],
  flags: COMMON_FLAGS.filter(([flag]) => !flag.startsWith('--dir')),
  notes: ['The file is made readable by its owner only, and never overwritten. The public key is printed.'],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('key', args, COMMON_OPTIONS)
    const [file] = positionals('key', given, ['<key-file>'])
    printResult(io, values.json ?? false, await key(file), human)
    return EXIT.ok
  },
}
