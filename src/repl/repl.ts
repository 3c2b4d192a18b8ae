// The REPL's evaluator: one line in, one result out, against a session on one database (its
// `serve` process, or the directory opened by this process). Reading lines and printing belong to
// the command; this file knows the REPL's little language and nothing of terminals.

import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import type { Session } from '../cli/session.js'
import { parseCallArgs } from '../cli/commands/call.js'
import { intFlag, usageFromParseError } from '../cli/command.js'
import { inlineJson } from '../codec/json.js'
import type { Json } from '../vm/types.js'
import { splitWords } from './words.js'

export const REPL_HELP = [
  'commands (one a line; quote JSON with \'…\'):',
  '  call <method> [--name value]... [--params JSON] [--as NAME] [--no-wait]',
  '  get <key>',
  '  list [prefix] [--limit N] [--reverse]',
  '  history [index|OPLOG_NAME|OPLOG_KEY] [--start N] [--end N]',
  '  info',
  '  help',
  '  exit (or quit, or end of input)',
].join('\n')

/** What one line gave: a line to print, an error, nothing (blank or comment), or the end. */
export type ReplResult = { kind: 'result'; text: string } | { kind: 'error'; code: string; message: string } | { kind: 'none' } | { kind: 'exit' }

export interface ReplOptions {
  /** Print whole result objects as JSON instead of their useful part. */
  json: boolean
}

export async function evalLine(session: Session, line: string, opts: ReplOptions): Promise<ReplResult> {
  const words = splitWords(line.trim())
  if (words.length === 0 || words[0].startsWith('#')) return { kind: 'none' }
  const [command, ...args] = words
  const show = (full: unknown, useful: unknown): ReplResult => ({ kind: 'result', text: inlineJson((opts.json ? full : useful) as Json) })
  switch (command) {
    case 'exit':
    case 'quit':
      return { kind: 'exit' }
    case 'help':
      return { kind: 'result', text: opts.json ? inlineJson(REPL_HELP.split('\n')) : REPL_HELP }
    case 'info': {
      noArgs('info', args)
      const r = await session.request('info', {})
      return show(r, r)
    }
    case 'get': {
      if (args.length !== 1) throw new UsageError('USAGE', 'usage: get <key>')
      const r = await session.request('get', { key: args[0] })
      return show(r, r.value)
    }
    case 'list': {
      const { values, positionals } = flags('list', args, { limit: { type: 'string' }, reverse: { type: 'boolean' } })
      if (positionals.length > 1) throw new UsageError('USAGE', 'usage: list [prefix] [--limit N] [--reverse]')
      const limit = intFlag('limit', values.limit as string | undefined)
      const r = await session.request('list', { prefix: positionals[0] ?? '', ...(limit === undefined ? {} : { limit }), ...(values.reverse ? { reverse: true } : {}) })
      return show(r, r.entries)
    }
    case 'history': {
      const { values, positionals } = flags('history', args, { start: { type: 'string' }, end: { type: 'string' } })
      if (positionals.length > 1) throw new UsageError('USAGE', 'usage: history [log] [--start N] [--end N]')
      const start = intFlag('start', values.start as string | undefined, true)
      const end = intFlag('end', values.end as string | undefined, true)
      const r = await session.request('history', { log: positionals[0] ?? 'index', ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) })
      return show(r, r.items)
    }
    case 'call': {
      const { method, flags: f, params } = parseCallArgs(args)
      if (f.dir !== undefined || f.receipt !== undefined || f.json !== undefined) {
        throw new UsageError('USAGE', 'call in the repl takes no --dir, --json or --receipt (the repl has one database)')
      }
      const r = await session.request('call', { method, params: mergeParams(f.params, params), ...(f.as === undefined ? {} : { as: f.as }), wait: !f['no-wait'] })
      const failed = r.ops.find((o) => o.outcome && !o.outcome.success)
      if (failed && !opts.json) return { kind: 'error', code: 'OP_FAILED', message: `op ${failed.seq} failed: ${failed.outcome!.error} (index ${failed.outcome!.index})` }
      return show(r, r.response)
    }
    default:
      throw new UsageError('USAGE', `unknown command "${command}" (type help)`)
  }
}

function noArgs(command: string, args: string[]): void {
  if (args.length > 0) throw new UsageError('USAGE', `${command} takes no arguments`)
}

function flags(command: string, args: string[], options: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw usageFromParseError(command, err)
  }
}

function mergeParams(whole: string | undefined, pairs: Record<string, Json>): Json {
  if (whole === undefined) return { ...pairs }
  let parsed: Json
  try {
    parsed = JSON.parse(whole) as Json
  } catch (err) {
    throw new UsageError('USAGE', `--params is not valid JSON: ${(err as Error).message}`)
  }
  if (Object.keys(pairs).length === 0) return parsed
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('USAGE', '--params is not an object, so --name value pairs cannot be added to it')
  return { ...parsed, ...pairs }
}
