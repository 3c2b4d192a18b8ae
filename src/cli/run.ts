// The `glassbox` dispatcher: global flags, help, version, and one place where errors become
// a line on stderr and an exit code.

import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import { commandHelp, EXIT, type Command } from './command.js'
import { printError, type Output } from './output.js'

/**
 * Each command's module, in the order of the help, loaded only when it is needed: a command pays
 * for its own dependencies alone (`get` does not load the network stack, `proof` no database).
 */
const COMMAND_MODULES: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init.js')).initCommand,
  call: async () => (await import('./commands/call.js')).callCommand,
  get: async () => (await import('./commands/get.js')).getCommand,
  list: async () => (await import('./commands/list.js')).listCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  info: async () => (await import('./commands/info.js')).infoCommand,
  source: async () => (await import('./commands/source.js')).sourceCommand,
  repl: async () => (await import('./commands/repl.js')).replCommand,
  sandbox: async () => (await import('./commands/sandbox.js')).sandboxCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  join: async () => (await import('./commands/join.js')).joinCommand,
  dht: async () => (await import('./commands/dht.js')).dhtCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  monitor: async () => (await import('./commands/monitor.js')).monitorCommand,
  checkpoint: async () => (await import('./commands/checkpoint.js')).checkpointCommand,
  sync: async () => (await import('./commands/sync.js')).syncCommand,
  light: async () => (await import('./commands/light.js')).lightCommand,
  proof: async () => (await import('./commands/proof.js')).proofCommand,
  key: async () => (await import('./commands/key.js')).keyCommand,
  attest: async () => (await import('./commands/attest.js')).attestCommand,
  query: async () => (await import('./commands/query.js')).queryCommand,
  coverage: async () => (await import('./commands/coverage.js')).coverageCommand,
  judge: async () => (await import('./commands/judge.js')).judgeCommand,
  dispute: async () => (await import('./commands/dispute.js')).disputeCommand,
}

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMAND_MODULES)

/** Every command, in the order of the help. */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMAND_NAMES.map((name) => COMMAND_MODULES[name]()))
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

export async function topHelp(): Promise<string> {
  const commands = await loadCommands()
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    'glassbox: a database run by a contract program, recorded in signed append-only logs',
    '',
    'Usage: glassbox <command> [arguments] [--dir D] [--json]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
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
        io.out(await topHelp())
        return EXIT.ok
      }
      if (rest.some((a) => a === '--version' || a === '-V')) {
        io.out(version())
        return EXIT.ok
      }
      if (rest.length === 0) {
        io.err(await topHelp())
        return EXIT.error
      }
      throw new UsageError('USAGE', 'missing <command> (see glassbox --help)')
    }
    if (name === 'help') {
      const about = rest.find((a) => !a.startsWith('-'))
      io.out(about === undefined ? await topHelp() : commandHelp(await findCommand(about)))
      return EXIT.ok
    }
    if (name === 'version') {
      io.out(version())
      return EXIT.ok
    }
    const command = await findCommand(name)
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

async function findCommand(name: string): Promise<Command> {
  const load = Object.hasOwn(COMMAND_MODULES, name) ? COMMAND_MODULES[name] : undefined
  if (!load) {
    throw new UsageError('USAGE', `unknown command "${name}" (commands: ${COMMAND_NAMES.join(', ')}; see glassbox --help)`)
  }
  return load()
}

function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === '--') return false
    if (a === '--help' || a === '-h') return true
  }
  return false
}
