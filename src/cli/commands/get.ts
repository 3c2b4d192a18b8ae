// `glassbox get`: the value at one key of the contract state.

import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import type { GetOutput } from '../../net/methods.js'
import { jsonText, printResult } from '../output.js'
import { withSession } from '../session.js'

export interface GetParameters {
  dir: string
  key: string
  /** Also fetch a state proof file (docs/protocol.md §9.1). */
  proof?: boolean
}
export type GetReturnType = GetOutput

export async function get(p: GetParameters): Promise<GetReturnType> {
  return withSession(p.dir, (session) => session.request('get', { key: p.key, ...(p.proof ? { proof: true } : {}) }))
}

export const getCommand: Command = {
  name: 'get',
  summary: 'Print the value at a key of the state',
  usage: ['get <key> [--proof] [--dir D] [--json]'],
  flags: [['--proof', 'print a proof file of the value (or of its absence) instead: `glassbox get KEY --proof > p.json`'], ...COMMON_FLAGS],
  notes: [
    'With --proof, stdout is the proof file, checkable offline with `glassbox proof verify p.json --key DBKEY`.',
    'Exit code: 0 when the key holds a value, 1 when it holds none, 2 on errors.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('get', args, { ...COMMON_OPTIONS, proof: { type: 'boolean' } })
    const [key] = positionals('get', given, ['<key>'])
    const result = await get({ dir: values.dir ?? DEFAULT_DIR, key, proof: values.proof ?? false })
    if (values.proof) {
      io.out(jsonText(result.proof))
      if (!result.found) io.err(`glassbox: no value at ${JSON.stringify(key)} (the file proves its absence)`)
      return result.found ? EXIT.ok : EXIT.negative
    }
    printResult(io, values.json ?? false, result, (r) => (r.found ? jsonText(r.value) : ''))
    if (!result.found && !values.json) io.err(`glassbox: no value at ${JSON.stringify(key)}`)
    return result.found ? EXIT.ok : EXIT.negative
  },
}
