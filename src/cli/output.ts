// What the CLI writes: one JSON document or human text from the same result, errors as one line.

import { inlineJson, jsonText, toJson } from '../codec/json.js'
import { GlassboxError } from '../errors.js'

export { inlineJson, jsonText, toJson }

/** Where a command writes; tests and the dispatcher pass process streams. */
export interface Output {
  out(text: string): void
  err(text: string): void
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
}

/** Prints a command's result: the JSON document, or the human rendering of the same object. */
export function printResult<T>(io: Output, json: boolean, result: T, human: (result: T) => string): void {
  if (json) io.out(jsonText(result))
  else {
    const text = human(result)
    if (text !== '') io.out(text)
  }
}

export interface ErrorReport {
  code: string
  message: string
}

/** The stable code and one-line message of any thrown value. */
export function describeError(err: unknown): ErrorReport {
  if (err instanceof GlassboxError) return { code: err.code, message: oneLine(err.message) }
  // Before the remote check: Node's file errors also carry a string code and message.
  const file = err instanceof Error ? fileProblem(err as NodeJS.ErrnoException) : null
  if (file) return file
  if (isRemoteError(err)) return { code: err.code, message: oneLine(err.message) }
  if (err instanceof Error) {
    const sys = (err as NodeJS.ErrnoException).code
    return { code: typeof sys === 'string' ? sys : 'INTERNAL', message: oneLine(err.message) }
  }
  return { code: 'INTERNAL', message: oneLine(String(err)) }
}

/** A file the command was told to read or write, said in words rather than as Node's raw errno text. */
const FILE_PROBLEMS: Record<string, [string, (path: string) => string]> = {
  ENOENT: ['FILE_NOT_FOUND', (p) => `no such file or directory: ${p}`],
  EISDIR: ['FILE_IS_DIRECTORY', (p) => `${p} is a directory, not a file`],
  ENOTDIR: ['FILE_NOT_FOUND', (p) => `no such file or directory: ${p} (a part of that path is not a directory)`],
  EACCES: ['FILE_NOT_PERMITTED', (p) => `permission denied: ${p}`],
  EPERM: ['FILE_NOT_PERMITTED', (p) => `permission denied: ${p}`],
}

function fileProblem(err: NodeJS.ErrnoException): ErrorReport | null {
  const known = err.code === undefined ? undefined : FILE_PROBLEMS[err.code]
  if (!known || typeof err.path !== 'string') return null
  const [code, say] = known
  return { code, message: oneLine(say(err.path)) }
}

function isRemoteError(err: unknown): err is ErrorReport {
  return typeof err === 'object' && err !== null && typeof (err as ErrorReport).code === 'string' && typeof (err as ErrorReport).message === 'string'
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error'
}

/** Reports an error: one line on stderr, the `{error}` document on stdout in --json mode. */
export function printError(io: Output, err: unknown, json: boolean): void {
  const report = describeError(err)
  io.err(`glassbox: ${report.message}`)
  if (json) io.out(jsonText({ error: report }))
  if (process.env.GLASSBOX_DEBUG === '1') {
    for (let e: unknown = err; e instanceof Error; e = e.cause) io.err(e.stack ?? e.message)
  }
}

/** A public key shortened for human output; JSON output always has the full key. */
export function shortKey(hex: string): string {
  return hex.length > 12 ? `${hex.slice(0, 8)}…` : hex
}

/** Rows of cells, columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')
}
