// `glassbox repl`: poke at a database line by line (calls, gets, lists, history, info). On a
// terminal it prompts; with commands piped on stdin it prints one line per result, so scripts can
// pair each command with its answer.

import { createInterface } from 'node:readline'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { describeError, inlineJson } from '../output.js'
import { openSession } from '../session.js'

export const replCommand: Command = {
  name: 'repl',
  summary: 'Poke at a database interactively: call, get, list, history, info',
  usage: ['repl [--dir D] [--json]', 'echo "get /counter" | glassbox repl [--dir D]'],
  flags: COMMON_FLAGS,
  notes: [
    'Commands: call <method> [--name value]... [--params JSON] [--as NAME] [--no-wait], get <key>,',
    'list [prefix] [--limit N] [--reverse], history [log] [--start N] [--end N], info, help, exit.',
    "Words are split as a shell would (quote JSON with '…'). Each command prints one line: the value",
    '(get), the response (call), the entries (list), the items (history) or the info, as JSON; with',
    '--json, the whole result object as `glassbox <command> --json` prints it. An error prints one line',
    '"error CODE: message" (with --json, {"error":{...}}) and the repl goes on. Blank lines and lines',
    'starting with # print nothing. It reaches the database through its `glassbox serve` process when',
    'one runs, else opens the directory (running its executor when it holds the key pair).',
    'Exit code: 0, or 1 when some command failed (2 when the database cannot be opened).',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('repl', args, COMMON_OPTIONS)
    positionals('repl', given, [])
    const json = values.json ?? false
    const dir = values.dir ?? DEFAULT_DIR
    const session = await openSession(dir)
    const { evalLine } = await import('../../repl/index.js')
    const tty = process.stdin.isTTY === true
    const rl = createInterface({ input: process.stdin, ...(tty ? { output: process.stdout, prompt: 'glassbox> ' } : {}), terminal: tty })
    // Ctrl-C ends the repl like Ctrl-D (readline would otherwise only pause its input).
    rl.on('SIGINT', () => rl.close())
    let failed = false
    try {
      if (tty) {
        io.out(`glassbox repl on ${dir} (${session.via === 'server' ? 'through its serve process' : 'opened directly'}); type help, or exit`)
        rl.prompt()
      }
      for await (const line of rl) {
        let result
        try {
          result = await evalLine(session, line, { json })
        } catch (err) {
          const e = describeError(err)
          result = { kind: 'error' as const, code: e.code, message: e.message }
        }
        if (result.kind === 'exit') break
        if (result.kind === 'result') io.out(result.text)
        else if (result.kind === 'error') {
          failed = true
          io.out(json ? inlineJson({ error: { code: result.code, message: result.message } }) : `error ${result.code}: ${result.message}`)
        }
        if (tty) rl.prompt()
      }
    } finally {
      rl.close()
      await session.close()
    }
    return failed ? EXIT.negative : EXIT.ok
  },
}
