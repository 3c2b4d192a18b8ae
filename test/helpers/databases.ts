// Honest databases for the monitor tests: temporary directories, example contracts, and calls
// that wait for their acks.

import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { Database, type CreateOptions, type Json, type OpResult } from '../../src/index.js'
import type { Monitor } from '../../src/verify/monitor.js'

export const EXAMPLES = ['counter', 'kv-store', 'simple-registry', 'multisig-registry', 'governed-fileset', 'website-capture', 'membership-voting'] as const
export type ExampleName = (typeof EXAMPLES)[number]

const sources = new Map<string, string>()

/** The source of examples/<name>.js. */
export async function example(name: ExampleName): Promise<string> {
  let code = sources.get(name)
  if (code === undefined) {
    code = await readFile(path.join(process.cwd(), 'examples', `${name}.js`), 'utf8')
    sources.set(name, code)
  }
  return code
}

const removeAtExit: string[] = []
process.once('exit', () => {
  for (const dir of removeAtExit) rmSync(dir, { recursive: true, force: true })
})

/**
 * A fresh temporary directory, removed when the test file's process exits. Not in an after hook:
 * a test's after hooks run in the order they were added, so this one would run before the hook that
 * closes the database made in it, and removing a directory a database is still writing fails.
 */
export async function tempDir(_t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-verify-'))
  removeAtExit.push(dir)
  return dir
}

/**
 * Closes `db` (at `dir`) and puts its state store back as it was before the close, as a kill -9
 * leaves it: what it committed is there, but not what a clean close writes (its record, its map).
 */
export async function closeAsIfKilled(t: TestContext, db: Database, dir: string): Promise<void> {
  const store = path.join(dir, 'state')
  const aside = await tempDir(t)
  await cp(store, aside, { recursive: true })
  await db.close()
  await rm(store, { recursive: true })
  await cp(aside, store, { recursive: true })
}

/** Creates a database, runs `script` against it with its executor, waits for every ack, closes it. */
export async function honestDir(t: TestContext, opts: CreateOptions, script: (db: Database) => Promise<void> = async () => {}): Promise<string> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, opts)
  try {
    await script(db)
    await db.settled()
  } finally {
    await db.close()
  }
  return dir
}

/** Calls a method that emits ops and waits for their acks. */
export async function send(db: Database, method: string, params: Json, as?: string): Promise<OpResult[]> {
  const r = await db.call(method, params, as === undefined ? {} : { as })
  return r.whenProcessed()
}

/** Like send, for a method that emits one op; checks the outcome when `success` is given. */
export async function send1(db: Database, method: string, params: Json, as?: string, success?: boolean): Promise<OpResult> {
  const results = await send(db, method, params, as)
  assert.equal(results.length, 1, `${method}() should emit one op`)
  if (success !== undefined) assert.equal(results[0].success, success, `${method}(${JSON.stringify(params)}): ${results[0].error}`)
  return results[0]
}

/** Opens a directory without an executor (ops written now stay unprocessed), runs `fn`, closes it. */
export async function withoutExecutor<T>(dir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.load(dir, { execute: false })
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** Resolves when `emitter` emits `event` with a value that satisfies `accept` (or rejects after `ms`). */
export function waitForEvent<T>(
  emitter: { on(e: string, f: (v: T) => void): unknown; off(e: string, f: (v: T) => void): unknown },
  event: string,
  accept: (value: T) => boolean = () => true,
  ms = 20_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`no matching "${event}" event within ${ms} ms`))
    }, ms)
    const listener = (value: T) => {
      if (!accept(value)) return
      clearTimeout(timer)
      emitter.off(event, listener)
      resolve(value)
    }
    emitter.on(event, listener)
  })
}

/**
 * A monitor of `db` that verifies only when the test calls verifyToHead (db.monitor() follows the
 * logs by itself), so a test decides what the monitor has seen at each step. Stopped after the test.
 */
export async function steppedMonitor(t: TestContext, db: Database): Promise<Monitor> {
  const monitor = (db as unknown as { newMonitor(opts: object): Monitor }).newMonitor({})
  await monitor.open()
  t.after(() => monitor.stop())
  return monitor
}
