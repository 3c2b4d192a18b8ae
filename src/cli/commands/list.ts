// `glassbox list`: the entries of the contract state under a prefix, in key order.

import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import type { ListOutput, ListParams } from '../../net/methods.js'
import { inlineJson, printResult, table } from '../output.js'
import { withSession } from '../session.js'

export type ListParameters = ListParams & { dir: string }
export type ListReturnType = ListOutput

export async function list(p: ListParameters): Promise<ListReturnType> {
  const { dir, ...params } = p
  return withSession(dir, (session) => session.request('list', params))
}

const options = {
  ...COMMON_OPTIONS,
  limit: { type: 'string' },
  reverse: { type: 'boolean' },
} as const

export const listCommand: Command = {
  name: 'list',
  summary: 'List the entries under a key prefix (`.sys/` keys only when the prefix asks for them)',
  usage: ['list [prefix] [--limit N] [--reverse] [--dir D] [--json]'],
  flags: [['--limit N', 'at most N entries'], ['--reverse', 'in descending key order'], ...COMMON_FLAGS],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('list', args, options)
    const [prefix = ''] = positionals('list', given, ['[prefix]'], 1)
    const limit = intFlag('limit', values.limit)
    const result = await list({
      dir: values.dir ?? DEFAULT_DIR,
      prefix,
      ...(limit === undefined ? {} : { limit }),
      ...(values.reverse ? { reverse: true } : {}),
    })
    printResult(io, values.json ?? false, result, (r) => table(r.entries.map((e) => [e.key, inlineJson(e.value)])))
    if (result.entries.length === 0 && !values.json) io.err(`glassbox: no entries${prefix ? ` under ${JSON.stringify(prefix)}` : ''}`)
    return EXIT.ok
  },
}
