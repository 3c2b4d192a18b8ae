// Shared set-up for the example contract tests: a database per test under one example contract,
// and the three ways a test sends an op (any outcome, must succeed, must be rejected harmlessly).

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { Database, type CreateOptions, type Json, type OpResult } from '../../src/index.js'

export interface ExampleHarness {
  /** The example contract's file. */
  examplePath: string
  /** A fresh database under the example, with the harness's default oplogs unless told otherwise. */
  open(t: TestContext, opts?: Partial<CreateOptions>): Promise<Database>
  /** Calls a method that emits one op and waits for its ack. */
  send(db: Database, method: string, params: Json, as: string): Promise<OpResult>
  succeeds(db: Database, method: string, params: Json, as: string): Promise<OpResult>
  /** Sends an op the contract must reject and checks that it changed nothing. */
  fails(db: Database, method: string, params: Json, as: string, error: RegExp): Promise<OpResult>
  /** The response of a read-only method. */
  read(db: Database, method: string, params?: Json): Promise<Json>
}

export function exampleHarness(file: string, defaults: { oplogs: string[] } = { oplogs: ['alice', 'bob', 'carol'] }): ExampleHarness {
  const example = path.join(process.cwd(), 'examples', file)

  async function open(t: TestContext, opts: Partial<CreateOptions> = {}): Promise<Database> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-'))
    let db: Database | null = null
    t.after(async () => {
      await db?.close()
      await rm(dir, { recursive: true, force: true })
    })
    db = await Database.create(dir, { contract: await readFile(example, 'utf8'), oplogs: defaults.oplogs, ...opts })
    return db
  }

  async function send(db: Database, method: string, params: Json, as: string): Promise<OpResult> {
    const r = await db.call(method, params, { as })
    assert.equal(r.ops.length, 1, `${method}() should emit one op`)
    const [result] = await r.whenProcessed()
    return result
  }

  async function succeeds(db: Database, method: string, params: Json, as: string): Promise<OpResult> {
    const result = await send(db, method, params, as)
    assert.equal(result.error, null, `${method}(${JSON.stringify(params)}) as ${as} should succeed`)
    assert.equal(result.success, true)
    return result
  }

  async function fails(db: Database, method: string, params: Json, as: string, error: RegExp): Promise<OpResult> {
    const before = { state: db.list(''), inputs: db.list('.sys/inputs/') }
    const result = await send(db, method, params, as)
    assert.equal(result.success, false, `${method}(${JSON.stringify(params)}) as ${as} should fail`)
    assert.match(result.error ?? '', error)
    assert.deepEqual(result.changes, [])
    assert.deepEqual({ state: db.list(''), inputs: db.list('.sys/inputs/') }, before)
    return result
  }

  async function read(db: Database, method: string, params: Json = {}): Promise<Json> {
    return (await db.call(method, params)).response
  }

  return { examplePath: example, open, send, succeeds, fails, read }
}
