// `glassbox get`: the value at one key of the contract state.

import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import type { GetOutput } from '../methods.js'
import { jsonText, printResult } from '../output.js'
import { withSession } from '../session.js'

export interface GetParameters {
  dir: string
  key: string
}
export type GetReturnType = GetOutput

export async function get(p: GetParameters): Promise<GetReturnType> {
  return withSession(p.dir, (session) => session.request('get', { key: p.key }))
}

export const getCommand: Command = {
  name: 'get',
  summary: 'Print the value at a key of the state',
  usage: ['get <key> [--dir D] [--json]'],
  flags: COMMON_FLAGS,
  notes: ['Exit code: 0 when the key holds a value, 1 when it holds none, 2 on errors.'],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('get', args, COMMON_OPTIONS)
    const [key] = positionals('get', given, ['<key>'])
    const result = await get({ dir: values.dir ?? DEFAULT_DIR, key })
    printResult(io, values.json ?? false, result, (r) => (r.found ? jsonText(r.value) : ''))
    if (!result.found && !values.json) io.err(`glassbox: no value at ${JSON.stringify(key)}`)
    return result.found ? EXIT.ok : EXIT.negative
  },
}
