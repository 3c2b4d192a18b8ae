// `glassbox source`: the contract source the index log declares, as monitors read it.

import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import type { SourceOutput } from '../../net/methods.js'
import { printResult } from '../output.js'
import { withSession } from '../session.js'

export interface SourceParameters {
  dir: string
}
export type SourceReturnType = SourceOutput

export async function source(p: SourceParameters): Promise<SourceReturnType> {
  return withSession(p.dir, (session) => session.request('source', {}))
}

export const sourceCommand: Command = {
  name: 'source',
  summary: 'Print the contract source the database runs',
  usage: ['source [--dir D] [--json]'],
  flags: COMMON_FLAGS,
  async run(args, io) {
    const { values, positionals: given } = parseFlags('source', args, COMMON_OPTIONS)
    positionals('source', given, [])
    const result = await source({ dir: values.dir ?? DEFAULT_DIR })
    printResult(io, values.json ?? false, result, (r) => r.source)
    return EXIT.ok
  },
}
