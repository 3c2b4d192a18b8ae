// Running the real `glassbox` command in tests: one-shot commands and a `serve` process.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'

export const CLI = path.resolve('dist/src/cli/main.js')

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

export function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.GLASSBOX_DEBUG
  return env
}

export function glassbox(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: childEnv() })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export interface Server {
  child: ChildProcessWithoutNullStreams
  ready: { ready: true; key: string; socket: string; pid: number; runtime?: string }
  stderr(): string
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string | null>
}

/** Starts `glassbox serve --json` (with `flags`) and waits for its ready line. */
export function startServer(dir: string, cwd: string, flags: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--dir', dir, '--json', ...flags], { cwd, env: childEnv() })
  let stdout = ''
  let stderr = ''
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not get ready; stderr: ${stderr}`)), 15_000)
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      const nl = stdout.indexOf('\n')
      if (nl === -1) return
      clearTimeout(timer)
      try {
        resolve({ child, ready: JSON.parse(stdout.slice(0, nl)), stderr: () => stderr, exited })
      } catch (err) {
        reject(err)
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited (${code}) before it was ready; stderr: ${stderr}`))
    })
  })
}

/** Resolves with the first stderr line of `server` that matches `pattern`. */
export function serverLine(server: Server, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const seen = () => server.stderr().split('\n').find((l) => pattern.test(l))
    const check = () => {
      const line = seen()
      if (line === undefined) return
      server.child.stderr.off('data', check)
      resolve(line)
    }
    server.child.stderr.on('data', check)
    check()
  })
}
