// The shape of a CLI command and the flag parsing every command shares.

import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../errors.js'
import type { Output } from './output.js'

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>

export interface Command {
  name: string
  /** One line for the top-level help. */
  summary: string
  /** Usage lines, without the leading `glassbox `. */
  usage: string[]
  /** Flag descriptions for `--help`, as [flag, description] pairs. */
  flags: [string, string][]
  /** Lines printed after the flags (exit codes, where things go). */
  notes?: string[]
  /** Runs the command with its arguments (the command name removed); returns the exit code. */
  run(args: string[], io: Output): Promise<number>
}

export const DEFAULT_DIR = './.glassbox'

/**
 * Exit codes: success, a negative outcome (op rejected, key not found), an error, and a wait that
 * timed out after publishing (distinct, so a script does not retry and publish the op twice).
 */
export const EXIT = { ok: 0, negative: 1, error: 2, timeout: 3 } as const

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  dir: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs

export const COMMON_FLAGS: [string, string][] = [
  ['--dir D', `the database directory (default ${DEFAULT_DIR})`],
  ['--json', 'print one JSON document on stdout instead of text'],
  ['-h, --help', 'show this help'],
]

/** node:util parseArgs with the CLI's messages for unknown flags and missing values. */
export function parseFlags<O extends OptionSpecs>(
  command: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw usageFromParseError(command, err)
  }
}

export function usageFromParseError(command: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1]
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError('USAGE', `unknown option ${quoted ?? ''} (see glassbox ${command} --help)`)
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted?.split(' ')[0] ?? 'an option'
      if (/ambiguous/.test(e.message)) {
        return new UsageError('USAGE', `the value of ${flag} starts with "-": write it as ${flag}=VALUE`)
      }
      if (/argument missing/.test(e.message)) return new UsageError('USAGE', `${flag} needs a value`)
      return new UsageError('USAGE', `${flag} takes no value`)
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError('USAGE', `unexpected argument ${quoted ?? ''} (see glassbox ${command} --help)`)
    default:
      return err as Error
  }
}

/** Checks the number of positional arguments. */
export function positionals(command: string, given: string[], names: string[], optional = 0): string[] {
  const required = names.length - optional
  if (given.length < required) {
    throw new UsageError('USAGE', `missing ${names[given.length]} (usage: glassbox ${command} ${names.map((n, i) => (i < required ? n : `[${n}]`)).join(' ')})`)
  }
  if (given.length > names.length) throw new UsageError('USAGE', `unexpected argument "${given[names.length]}" (see glassbox ${command} --help)`)
  return given
}

/** A whole number from a flag; `allowNegative` for positions counted from the end. */
export function intFlag(name: string, value: string | undefined, allowNegative = false): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isSafeInteger(n) || (!allowNegative && n < 0)) {
    throw new UsageError('USAGE', `--${name} must be a whole number${allowNegative ? '' : ' >= 0'}, not "${value}"`)
  }
  return n
}

/** Help text for one command. */
export function commandHelp(cmd: Command): string {
  const lines = [`${cmd.summary}`, '', 'Usage:', ...cmd.usage.map((u) => `  glassbox ${u}`)]
  if (cmd.flags.length > 0) {
    const width = Math.max(...cmd.flags.map(([f]) => f.length))
    lines.push('', 'Options:', ...cmd.flags.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`))
  }
  if (cmd.notes) lines.push('', ...cmd.notes)
  return lines.join('\n')
}
