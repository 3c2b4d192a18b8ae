// `glassbox call`: call a contract method and, when it emits ops, wait for what they became
// (seed 001 §3.4).

import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { UsageError } from '../../errors.js'
import type { Json } from '../../vm/types.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, usageFromParseError, type Command, type OptionSpecs } from '../command.js'
import type { CallOutput, CallParams } from '../../net/methods.js'
import { jsonText, printResult, shortKey } from '../output.js'
import { withSession } from '../session.js'

export type CallParameters = CallParams & { dir: string }
export type CallReturnType = CallOutput

export async function call(p: CallParameters): Promise<CallReturnType> {
  const { dir, ...params } = p
  return withSession(dir, (session) => session.request('call', params))
}

/** 0 when every op succeeded (or none was emitted), 1 when the contract rejected one. */
export function callExitCode(r: CallReturnType): number {
  return r.ops.some((o) => o.outcome && !o.outcome.success) ? EXIT.negative : EXIT.ok
}

function human(r: CallReturnType): string {
  const lines = [jsonText(r.response)]
  for (const o of r.ops) {
    const name = `op ${shortKey(o.origin)}/${o.seq}`
    if (!o.outcome) lines.push(`${name}: published, not waited for`)
    else if (o.outcome.success) lines.push(`${name}: ok (index ${o.outcome.index})`)
    else lines.push(`${name}: failed: ${o.outcome.error} (index ${o.outcome.index})`)
  }
  return lines.join('\n')
}

const options = {
  ...COMMON_OPTIONS,
  params: { type: 'string' },
  as: { type: 'string' },
  'no-wait': { type: 'boolean' },
  receipt: { type: 'string' },
} as const satisfies OptionSpecs

interface CallArgs {
  dir?: string
  json?: boolean
  params?: string
  as?: string
  'no-wait'?: boolean
  receipt?: string
}

/**
 * Splits the arguments into the command's own flags and the method's `--name value` params.
 * parseArgs (non-strict) tokenizes; a token naming no flag of `call` is a param and takes the
 * next argument as its value whatever it looks like, so `--amount -5` works.
 */
export function parseCallArgs(args: string[]): { method: string; flags: CallArgs; params: Record<string, Json> } {
  let tokens
  try {
    tokens = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true }).tokens
  } catch (err) {
    throw usageFromParseError('call', err)
  }
  const flags: Record<string, string | boolean> = {}
  // No prototype, so a param named __proto__ is a param like any other.
  const params: Record<string, Json> = Object.create(null)
  const positional: string[] = []
  let consumed = -1
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue
    if (t.index === consumed) continue
    if (t.kind === 'positional') {
      positional.push(t.value)
      continue
    }
    const spec = (options as OptionSpecs)[t.name]
    if (spec) {
      if (spec.type === 'string' && typeof t.value !== 'string') throw new UsageError('USAGE', `${t.rawName} needs a value`)
      if (spec.type === 'boolean' && t.value !== undefined) throw new UsageError('USAGE', `${t.rawName} takes no value`)
      if (Object.hasOwn(flags, t.name)) throw new UsageError('USAGE', `${t.rawName} is given twice`)
      flags[t.name] = t.value ?? true
      continue
    }
    if (!t.rawName.startsWith('--')) throw new UsageError('USAGE', `unknown option ${t.rawName} (params are written --name value)`)
    let raw = t.value
    if (raw === undefined) {
      const next = args[t.index + 1]
      if (next === undefined || isCallFlag(next)) throw new UsageError('USAGE', `param ${t.rawName} needs a value`)
      raw = next
      consumed = t.index + 1
    }
    if (Object.hasOwn(params, t.name)) throw new UsageError('USAGE', `param ${t.rawName} is given twice`)
    params[t.name] = parseValue(raw)
  }
  if (positional.length === 0) throw new UsageError('USAGE', 'missing <method> (usage: glassbox call <method> [--name value]...)')
  if (positional.length > 1) {
    throw new UsageError('USAGE', `unexpected argument "${positional[1]}" (params are written --name value, or --params JSON)`)
  }
  return { method: positional[0], flags: flags as CallArgs, params }
}

function isCallFlag(arg: string): boolean {
  if (arg === '-h' || arg === '--') return true
  if (!arg.startsWith('--')) return false
  return Object.hasOwn(options, arg.slice(2).split('=')[0])
}

/** A param value: JSON when it parses as JSON, else the string itself. */
function parseValue(raw: string): Json {
  try {
    return JSON.parse(raw) as Json
  } catch {
    return raw
  }
}

function buildParams(flags: CallArgs, pairs: Record<string, Json>): Json {
  const names = Object.keys(pairs)
  if (flags.params === undefined) return { ...pairs }
  let whole: Json
  try {
    whole = JSON.parse(flags.params) as Json
  } catch (err) {
    throw new UsageError('USAGE', `--params is not valid JSON: ${(err as Error).message}`)
  }
  if (names.length === 0) return whole
  if (typeof whole !== 'object' || whole === null || Array.isArray(whole)) {
    throw new UsageError('USAGE', `--${names[0]} cannot be added to --params, which is not an object`)
  }
  return { ...whole, ...pairs }
}

export const callCommand: Command = {
  name: 'call',
  summary: 'Call a contract method; wait for the ops it emits to be processed',
  usage: ['call <method> [--name value]... [--params JSON] [--as NAME] [--no-wait | --receipt FILE] [--dir D] [--json]'],
  flags: [
    ['--name value', 'a param of the method; the value is parsed as JSON when it parses, else taken as a string'],
    ['--params JSON', 'the whole params value (pairs given beside it are merged into it)'],
    ['--as NAME', 'the local oplog to call as (default: the first one)'],
    ['--no-wait', 'return once the ops are published, without waiting for the executor'],
    ['--receipt FILE', 'write a receipt of the emitted ops to FILE, checkable with `glassbox proof verify`'],
    ...COMMON_FLAGS,
  ],
  notes: [
    'A flag that is not one of the above is a param: --to bob --amount 5 gives {"to":"bob","amount":5}.',
    'Exit code: 0 when the call and all its ops succeeded, 1 when the contract rejected an op, 2 on errors.',
  ],
  async run(args, io) {
    const { method, flags, params } = parseCallArgs(args)
    if (flags.receipt !== undefined && flags['no-wait']) throw new UsageError('USAGE', '--receipt needs the ops processed; it cannot go with --no-wait')
    const result = await call({
      dir: flags.dir ?? DEFAULT_DIR,
      method,
      params: buildParams(flags, params),
      ...(flags.as === undefined ? {} : { as: flags.as }),
      wait: !flags['no-wait'],
      ...(flags.receipt === undefined ? {} : { receipt: true }),
    })
    if (flags.receipt !== undefined) {
      const { receipt, ...rest } = result
      if (!receipt) throw new UsageError('NO_OPS', `${method} emitted no ops, so there is nothing to write a receipt for`)
      await writeFile(flags.receipt, jsonText(receipt) + '\n')
      printResult(io, flags.json ?? false, { ...rest, receiptFile: flags.receipt }, (r) => `${human(r)}\nreceipt written to ${r.receiptFile}`)
      return callExitCode(result)
    }
    printResult(io, flags.json ?? false, result, human)
    return callExitCode(result)
  },
}
