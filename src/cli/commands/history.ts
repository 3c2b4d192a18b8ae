// `glassbox history`: the entries of the index log, or the ops of an oplog.

import type { IndexEntry } from '../../codec/messages.js'
import type { Json } from '../../vm/types.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import type { HistoryOutput, HistoryParams } from '../../net/methods.js'
import { inlineJson, printResult, table } from '../output.js'
import { withSession } from '../session.js'

export type HistoryParameters = HistoryParams & { dir: string }
export type HistoryReturnType = HistoryOutput

export async function history(p: HistoryParameters): Promise<HistoryReturnType> {
  const { dir, ...params } = p
  return withSession(dir, (session) => session.request('history', params))
}

/** An index entry or op as history items carry it (bytes already hex). */
type IndexItem = { seq: number; path: string; entry: IndexEntry }
type OplogItem = { seq: number; op: Json | null; error?: string }

const MAX_VALUE_CHARS = 60

function clip(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text
}

function describeEntry(entry: IndexEntry): string {
  switch (entry.type) {
    case 'header':
      return `header: protocol ${entry.protocol}, runtime ${entry.runtime}`
    case 'contract':
      return `contract source, ${Buffer.byteLength(entry.code)} bytes`
    case 'input':
      return 'input declared'
    case 'genesis':
      return 'genesis: initialization complete'
    case 'op': {
      if (!entry.ack.success) return `failed: ${entry.ack.error}`
      const changes = entry.changes.map((c) => (c.type === 'put' ? `put ${c.key} ${clip(inlineJson(c.value))}` : `del ${c.key}`))
      return changes.length === 0 ? 'ok, no changes' : `ok: ${changes.join('; ')}`
    }
    case 'seal':
      // History items carry bytes as hex already.
      return `seal: ${entry.length} entries signed, state root ${String(entry.stateRoot).slice(0, 8)}…${entry.handover ? `; handover: instance ${String(entry.handover).slice(0, 8)}… writes the log from here` : ''}`
  }
}

function human(r: HistoryReturnType): string {
  if (r.kind === 'index') {
    return table((r.items as unknown as IndexItem[]).map((i) => [String(i.seq), i.path, describeEntry(i.entry)]))
  }
  return table((r.items as unknown as OplogItem[]).map((i) => [String(i.seq), i.error ? `undecodable: ${i.error}` : inlineJson(i.op)]))
}

const options = {
  ...COMMON_OPTIONS,
  start: { type: 'string' },
  end: { type: 'string' },
} as const

export const historyCommand: Command = {
  name: 'history',
  summary: 'Print the entries of the index log, or the ops of an oplog',
  usage: ['history [index|OPLOG_NAME|OPLOG_KEY] [--start N] [--end N] [--dir D] [--json]'],
  flags: [
    ['--start N', 'the first position (default 0; negative counts from the end: --start=-5)'],
    ['--end N', 'the position to stop before (default: the length of the log)'],
    ...COMMON_FLAGS,
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('history', args, options)
    const [log = 'index'] = positionals('history', given, ['[log]'], 1)
    const start = intFlag('start', values.start, true)
    const end = intFlag('end', values.end, true)
    const result = await history({
      dir: values.dir ?? DEFAULT_DIR,
      log,
      ...(start === undefined ? {} : { start }),
      ...(end === undefined ? {} : { end }),
    })
    printResult(io, values.json ?? false, result, human)
    if (result.items.length === 0 && !values.json) io.err('glassbox: no entries in that range')
    return EXIT.ok
  },
}
