// The dispatcher loads a command's module only when the command runs: its table of modules must
// name each command as the command names itself, in the order of the help.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Output } from '../src/cli/output.js'
import { COMMAND_NAMES, loadCommands, run, topHelp } from '../src/cli/run.js'

function capture(): { io: Output; out: string[]; err: string[] } {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err }
}

test('every command is found under the name it gives itself, and the help lists them all in order', async () => {
  const commands = await loadCommands()
  assert.deepEqual(
    commands.map((c) => c.name),
    COMMAND_NAMES,
  )
  const listed = [...(await topHelp()).matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1])
  assert.deepEqual(listed, COMMAND_NAMES)
  for (const name of COMMAND_NAMES) {
    const c = capture()
    assert.equal(await run([name, '--help'], c.io), 0)
    assert.match(c.out.join('\n'), new RegExp(`^ {2}glassbox ${name}\\b`, 'm'))
  }
})

test('an unknown command, or an inherited property name, is a usage error listing the commands', async () => {
  for (const name of ['frobnicate', 'constructor', 'toString', '__proto__']) {
    const c = capture()
    assert.equal(await run([name], c.io), 2)
    assert.match(c.err.join('\n'), new RegExp(`unknown command "${name}" \\(commands: ${COMMAND_NAMES.join(', ')};`))
  }
})
