// `glassbox call`: call a contract method and, when it emits ops, wait for what they became
// (seed 001 §3.4).

import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { CallError, UsageError } from '../../errors.js'
import type { Json } from '../../vm/types.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, usageFromParseError, type Command, type OptionSpecs } from '../command.js'
import type { CallOutput, CallParams, PreviewOutput } from '../../net/methods.js'
import { jsonText, printError, printResult, shortKey } from '../output.js'
import { withSession } from '../session.js'

export type CallParameters = CallParams & {
  dir: string
  /** Give up waiting for the executor after this long (the ops stay published). */
  timeoutMs?: number
  /** Told when the call waits for an executor that runs elsewhere, once its ops are published. */
  onWaiting?(ops: CallOutput['ops']): void
}
export type CallReturnType = CallOutput

/**
 * Publishes first and waits second (as the HTTP API does), so that a wait that is stopped or
 * times out can still name the ops it left published.
 */
export async function call(p: CallParameters): Promise<CallReturnType> {
  const { dir, timeoutMs, onWaiting, ...params } = p
  const receipt = params.receipt ?? false
  const wait = (params.wait ?? true) || receipt
  return withSession(dir, async (session) => {
    const published = await session.request('call', { ...params, wait: false, receipt: false })
    if (!wait || published.ops.length === 0) return published
    const ids = published.ops.map(({ origin, seq }) => ({ origin, seq }))
    let done = await session.request('outcomes', { ops: ids, wait: false })
    const pending = done.outcomes.some((o) => o === null)
    if (pending || receipt) {
      if (pending && !done.executor) onWaiting?.(published.ops)
      done = await bounded(session.request('outcomes', { ops: ids, receipt }), timeoutMs, published.ops)
    }
    const out: CallOutput = { ...published, ops: published.ops.map((o, i) => ({ ...o, outcome: done.outcomes[i] })) }
    if (done.receipt) out.receipt = done.receipt
    return out
  })
}

/** Waits for `work`, or fails with CALL_TIMEOUT after `ms`; the work itself goes on (nothing can unpublish). */
async function bounded<T>(work: Promise<T>, ms: number | undefined, ops: CallOutput['ops']): Promise<T> {
  if (ms === undefined) return work
  // A wait that loses the race may still fail later (its connection closes): nobody needs that error.
  work.catch(() => {})
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new CallError(
          'CALL_TIMEOUT',
          `gave up waiting ${ms / 1000} s for the executor: ${describeOps(ops)} ${ops.length === 1 ? 'stays' : 'stay'} published and will be processed once the executor is back online and a peer serves this oplog (\`glassbox serve --dir D\` keeps it served); calling again would publish ${ops.length === 1 ? 'it' : 'them'} a second time`,
        ),
      )
    }, ms)
  })
  try {
    return await Promise.race([work, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** "op 3" or "ops 3-5", and the oplog they are in (one call's ops are consecutive in one oplog). */
function opsOf(ops: CallOutput['ops']): { what: string; oplog: string } {
  const first = ops[0]
  const last = ops[ops.length - 1]
  return { what: ops.length === 1 ? `op ${first.seq}` : `ops ${first.seq}-${last.seq}`, oplog: `oplog ${shortKey(first.origin)}` }
}

function describeOps(ops: CallOutput['ops']): string {
  const { what, oplog } = opsOf(ops)
  return `${what} of ${oplog}`
}

/** The stderr line of a call that waits for a remote executor. */
export function waitingLine(ops: CallOutput['ops']): string {
  const { what, oplog } = opsOf(ops)
  return `published ${what} to ${oplog}, waiting for the executor… (stopping the wait leaves ${ops.length === 1 ? 'it' : 'them'} published)`
}

/** 0 when every op succeeded (or none was emitted), 1 when the contract rejected one. */
export function callExitCode(r: CallReturnType): number {
  return r.ops.some((o) => o.outcome && !o.outcome.success) ? EXIT.negative : EXIT.ok
}

function human(r: CallReturnType): string {
  // The ops' outcomes say what a method that answers null did; alone, a bare "null" says nothing.
  if (r.response === null && r.ops.length === 0) return `${r.method}() returned null and emitted no ops`
  const lines = r.response === null ? [] : [jsonText(r.response)]
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
  timeout: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const satisfies OptionSpecs

interface CallArgs {
  dir?: string
  json?: boolean
  params?: string
  as?: string
  'no-wait'?: boolean
  receipt?: string
  timeout?: string
  'dry-run'?: boolean
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
    const typed = t.name.endsWith(JSON_SUFFIX)
    const name = typed ? t.name.slice(0, -JSON_SUFFIX.length) : t.name
    if (name === '') throw new UsageError('USAGE', `${t.rawName} names no param (write --name:json value)`)
    if (Object.hasOwn(params, name)) throw new UsageError('USAGE', `param --${name} is given twice`)
    params[name] = typed ? parseJsonParam(t.rawName, raw) : raw
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

/** `--name:json value`: the value is JSON; any other `--name value` is the string as typed. */
const JSON_SUFFIX = ':json'

function parseJsonParam(flag: string, raw: string): Json {
  try {
    return JSON.parse(raw) as Json
  } catch (err) {
    throw new UsageError('USAGE', `${flag} is not valid JSON: ${(err as Error).message} (without :json the value is a string)`)
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
  usage: [
    'call <method> [--name value]... [--name:json JSON]... [--params JSON] [--as NAME] [--no-wait | --receipt FILE] [--timeout S] [--dir D] [--json]',
    'call <method> --dry-run [--name value]... [--name:json JSON]... [--params JSON] [--as NAME] [--dir D] [--json]',
  ],
  flags: [
    ['--name value', 'a param of the method, as a string whatever it looks like (--key 123 gives "123")'],
    ['--name:json value', 'a param whose value is JSON (--amount:json 5 gives 5, --tags:json \'["a"]\' an array)'],
    ['--params JSON', 'the whole params value (pairs given beside it are merged into it)'],
    ['--as NAME', 'the local oplog to call as (default: the first one)'],
    ['--no-wait', 'return once the ops are published, without waiting for the executor'],
    ['--receipt FILE', 'write a receipt of the emitted ops to FILE, checkable with `glassbox proof verify`'],
    ['--timeout S', 'stop waiting for the executor after S seconds (exit 3; the ops stay published)'],
    ['--dry-run', 'publish nothing: show what the ops would do on the sealed head (outcome, changes, state root), then take it back'],
    ...COMMON_FLAGS,
  ],
  notes: [
    'A flag that is not one of the above is a param: --to bob --amount:json 5 gives {"to":"bob","amount":5}.',
    'Contracts declare no param types, so values are strings unless :json says otherwise (what is signed',
    'into the log is exactly what you typed). A param named like a flag above is written --name:json.',
    'Waiting for an executor that runs elsewhere, call says on stderr which op it published.',
    'Exit code: 0 when the call and all its ops succeeded, 1 when the contract rejected an op, 2 on errors,',
    '3 when --timeout ran out (calling again would publish the ops a second time).',
  ],
  async run(args, io) {
    const { method, flags, params } = parseCallArgs(args)
    if (flags['dry-run']) {
      if (flags.receipt !== undefined || flags['no-wait'] || flags.timeout !== undefined) throw new UsageError('USAGE', '--dry-run publishes nothing: it takes no --receipt, --no-wait or --timeout')
      const preview = await withSession(flags.dir ?? DEFAULT_DIR, (session) =>
        session.request('preview', { method, params: buildParams(flags, params), ...(flags.as === undefined ? {} : { as: flags.as }) }),
      )
      printResult(io, flags.json ?? false, preview, previewText)
      return preview.ops.every((o) => o.success) ? EXIT.ok : EXIT.negative
    }
    if (flags.receipt !== undefined && flags['no-wait']) throw new UsageError('USAGE', '--receipt needs the ops processed; it cannot go with --no-wait')
    const timeout = intFlag('timeout', flags.timeout)
    if (timeout !== undefined && flags['no-wait']) throw new UsageError('USAGE', '--timeout bounds the wait; it cannot go with --no-wait')
    if (timeout === 0) throw new UsageError('USAGE', '--timeout must be at least 1 second')
    let result: CallReturnType
    try {
      result = await call({
        dir: flags.dir ?? DEFAULT_DIR,
        method,
        params: buildParams(flags, params),
        ...(flags.as === undefined ? {} : { as: flags.as }),
        wait: !flags['no-wait'],
        ...(flags.receipt === undefined ? {} : { receipt: true }),
        ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
        onWaiting: (ops) => io.err(waitingLine(ops)),
      })
    } catch (err) {
      if (!(err instanceof CallError && err.code === 'CALL_TIMEOUT')) throw err
      printError(io, err, flags.json ?? false)
      return EXIT.timeout
    }
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

/** A dry run in words: the response, each op's outcome and changes, the root they would leave. */
function previewText(p: PreviewOutput): string {
  const lines = [`dry run of ${p.method} on the sealed head (length ${p.head.length}): nothing was published`, `response: ${jsonText(p.response)}`]
  p.ops.forEach((o, i) => {
    lines.push(`op ${i} ${JSON.stringify(o.op)}: ${o.success ? 'would succeed' : `would fail: ${o.error}`}`)
    for (const c of o.changes) lines.push(`  ${c.type} ${c.key}${c.type === 'put' ? ` = ${JSON.stringify(c.value)}` : ''}`)
  })
  lines.push(`state root ${p.ops.length > 0 ? 'after' : 'unchanged'}: ${p.stateRoot}`)
  return lines.join('\n')
}

