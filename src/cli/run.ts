// The `glassbox` dispatcher: global flags, help, version, and one place where errors become
// a line on stderr and an exit code.

import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import { commandHelp, EXIT, type Command } from './command.js'
import {
  callCommand,
  dhtCommand,
  getCommand,
  historyCommand,
  infoCommand,
  initCommand,
  joinCommand,
  judgeCommand,
  listCommand,
  monitorCommand,
  proofCommand,
  replCommand,
  sandboxCommand,
  serveCommand,
  sourceCommand,
  verifyCommand,
} from './commands/index.js'
import { printError, type Output } from './output.js'

export const COMMANDS: readonly Command[] = [
  initCommand,
  callCommand,
  getCommand,
  listCommand,
  historyCommand,
  infoCommand,
  sourceCommand,
  replCommand,
  sandboxCommand,
  serveCommand,
  joinCommand,
  dhtCommand,
  verifyCommand,
  monitorCommand,
  proofCommand,
  judgeCommand,
]

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

export function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'glassbox: a database run by a contract program, recorded in signed append-only logs',
    '',
    'Usage: glassbox <command> [arguments] [--dir D] [--json]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --dir D (default ./.glassbox), --json and -h/--help.',
    'Commands reach a database through its `glassbox serve` process when one runs, else open it directly.',
    'Exit codes: 0 success, 1 a negative outcome (an op rejected, a key without value), 2 an error,',
    '3 a call that gave up waiting for the executor (its ops stay published).',
    '',
    'glassbox --version prints the version; glassbox help <command> the help of a command.',
  ].join('\n')
}

/** Runs the CLI with `args` (without the node and script paths); returns the exit code. */
export async function run(args: string[], io: Output): Promise<number> {
  const json = args.includes('--json')
  try {
    const { name, rest } = splitCommand(args)
    if (name === undefined) {
      if (rest.some((a) => a === '--help' || a === '-h')) {
        io.out(topHelp())
        return EXIT.ok
      }
      if (rest.some((a) => a === '--version' || a === '-V')) {
        io.out(version())
        return EXIT.ok
      }
      if (rest.length === 0) {
        io.err(topHelp())
        return EXIT.error
      }
      throw new UsageError('USAGE', 'missing <command> (see glassbox --help)')
    }
    if (name === 'help') {
      const about = rest.find((a) => !a.startsWith('-'))
      io.out(about === undefined ? topHelp() : commandHelp(findCommand(about)))
      return EXIT.ok
    }
    if (name === 'version') {
      io.out(version())
      return EXIT.ok
    }
    const command = findCommand(name)
    if (wantsHelp(rest)) {
      io.out(commandHelp(command))
      return EXIT.ok
    }
    return await command.run(rest, io)
  } catch (err) {
    printError(io, err, json)
    return EXIT.error
  }
}

/**
 * Finds the command name; flags before it (`glassbox --dir D info`) are moved after it, so
 * every command sees its whole argument list.
 */
function splitCommand(args: string[]): { name: string | undefined; rest: string[] } {
  const before: string[] = []
  let i = 0
  while (i < args.length && args[i].startsWith('-')) {
    before.push(args[i])
    if (args[i] === '--dir' && i + 1 < args.length) before.push(args[++i])
    i++
  }
  if (i === args.length) return { name: undefined, rest: before }
  return { name: args[i], rest: [...args.slice(i + 1), ...before] }
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    throw new UsageError('USAGE', `unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see glassbox --help)`)
  }
  return command
}

function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === '--') return false
    if (a === '--help' || a === '-h') return true
  }
  return false
}
