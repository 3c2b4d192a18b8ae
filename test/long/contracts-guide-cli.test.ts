// docs/contracts.md's command lines, run as written with `glassbox` on the PATH (this checkout's
// build) and the guide's contracts in the files the commands name.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { guideBlocks, type Block } from '../helpers/guide-blocks.js'

const all = await guideBlocks()
const named = (name: string): Block => {
  const b = all.find((c) => c.tags.includes('contract') && c.name === name)
  assert.ok(b, `the guide has no contract block named ${name}`)
  return b
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-guide-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test("the guide's command lines run as written, with the guide's contracts in notes.js, v1.js and v2.js", async (t) => {
  const scripts = all.filter((b) => b.lang === 'sh' && b.tags.includes('cli'))
  assert.equal(scripts.length, 2)
  const outputs: string[] = []
  for (const script of scripts) {
    const dir = await tempDir(t)
    await writeFile(path.join(dir, 'notes.js'), named('notes').code)
    await writeFile(path.join(dir, 'v1.js'), named('upgradable-v1').code)
    await writeFile(path.join(dir, 'v2.js'), named('upgradable-v2').code)
    // `glassbox` as the guide's reader has it on their PATH: this checkout's build.
    await mkdir(path.join(dir, 'bin'))
    await writeFile(path.join(dir, 'bin', 'glassbox'), `#!/bin/sh\nexec "${process.execPath}" "${path.resolve('dist/src/cli/main.js')}" "$@"\n`, { mode: 0o755 })
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const env = { ...process.env, PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` }
      const child = spawn('bash', ['-e', '-c', script.code], { cwd: dir, env })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout, stderr }))
    })
    assert.equal(r.code, 0, `docs/contracts.md:${script.line}\n${r.stdout}\n${r.stderr}`)
    outputs.push(r.stdout)
  }
  assert.match(outputs[0], /methods: list, post, remove/)
  assert.match(outputs[0], /"text": ?"hello"/)
  assert.match(outputs[0], /const NOTES = '\/notes\/'/, 'source prints the stored contract')
  assert.match(outputs[1], /^2$/m, 'version() answers 2 after the upgrade')
})
