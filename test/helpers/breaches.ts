// Checking breach notices against the signed logs, shared by the breach tests.

import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { hash, toHex } from '../../src/codec/hash.js'
import type { Database, Json } from '../../src/index.js'
import { BREACH_CLASSES, describeBreach, verifyDirectory, type BreachClass, type BreachNotice } from '../../src/verify/index.js'
import { example, honestDir, withoutExecutor } from './databases.js'
import { withDishonest } from './dishonest-executor.js'

/** Classes found by replaying entries, and classes found by comparing a log with roots seen before. */
export const ENTRY_CLASSES: BreachClass[] = ['changes-mismatch', 'entry-without-op', 'op-skipped', 'op-out-of-order', 'not-an-input', 'ack-mismatch', 'wrong-outcome', 'unexplained-switch', 'wrong-root', 'bad-seal', 'ts-backwards']
export const LOG_CLASSES: BreachClass[] = ['malformed-genesis', 'malformed-entry', 'index-rewritten', 'index-truncated', 'oplog-forked']
/** Classes only a confidential database can have (test/confidential.test.ts). */
export const CONFIDENTIAL_CLASSES: BreachClass[] = ['sealed-to-outsider']
/** Classes of failover (test/named-standby.test.ts). */
export const FAILOVER_CLASSES: BreachClass[] = ['unnamed-handover']

/** The classes this test file has produced a notice of. */
export const covered = new Set<BreachClass>()

/** Checks that every class of `classes` has a case, and that the two lists above name every class. */
export function assertCovered(classes: BreachClass[]): void {
  assert.deepEqual([...ENTRY_CLASSES, ...LOG_CLASSES, ...CONFIDENTIAL_CLASSES, ...FAILOVER_CLASSES].sort(), Object.keys(BREACH_CLASSES).sort(), 'every breach class is in one list')
  const missing = classes.filter((c) => !covered.has(c))
  assert.deepEqual(missing, [], `breach classes with no case: ${missing.join(', ')}`)
}

export interface Expect {
  seq: number
  path?: string | null
  expected?: Json
  found?: Json
  message?: RegExp
  /** The oplog the notice names (a local oplog name or a key), and the op's seq in it. */
  oplog?: string
  opSeq?: number
  /** Entries verified when the breach is found (default: seq, the entries before it). */
  verified?: number
  /** Also run the database's own monitor (the directory must open as a database). Default true. */
  database?: boolean
}

export function plain<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v))
}

/**
 * Verifies `dir` with a fresh monitor and checks the notice: its class, entry, expected and found
 * values, and evidence that matches the signed log (the entry's hash and the tree hash named).
 */
export async function expectBreach(dir: string, cls: BreachClass, exp: Expect): Promise<BreachNotice> {
  const report = await verifyDirectory(dir)
  assert.equal(report.valid, false, `expected a ${cls} breach, the monitor found none`)
  const n = report.breach
  assert.ok(n)
  assert.equal(n.class, cls, describeBreach(n))
  assert.equal(n.seq, exp.seq, describeBreach(n))
  assert.equal(report.verified, exp.verified ?? exp.seq, 'verification stops at the offending entry')
  if (exp.path !== undefined) assert.equal(n.path, exp.path)
  if (exp.message) assert.match(n.message, exp.message)
  if (exp.expected !== undefined) assert.deepEqual(plain(n.expected), exp.expected, 'expected')
  if (exp.found !== undefined) assert.deepEqual(plain(n.found), exp.found, 'found')
  await withDishonest(dir, async (x) => {
    assert.equal(n.evidence.index, toHex(x.index.key))
    assert.equal(n.evidence.indexLength, exp.seq + 1)
    assert.equal(n.evidence.indexHash, toHex(await x.index.treeHash(n.evidence.indexLength)), 'the tree hash names the signed log')
    const block = await x.index.get(n.seq)
    assert.ok(block)
    assert.equal(n.evidence.entryHash, toHex(hash(block)), 'the entry hash names the offending entry')
    if (exp.oplog !== undefined) assert.equal(n.evidence.oplog, x.pubkey(exp.oplog))
    if (exp.opSeq !== undefined) assert.equal(n.evidence.opSeq, exp.opSeq)
  })
  if (exp.database ?? true) {
    const viaDb = await withoutExecutor(dir, (db) => db.verify())
    assert.deepEqual(plain(viaDb.breach), plain(n), "the database's own monitor reports the same notice")
  }
  covered.add(cls)
  return n
}

export async function expectValid(dir: string): Promise<void> {
  const report = await verifyDirectory(dir)
  assert.equal(report.breach, null, report.breach ? describeBreach(report.breach) : '')
  assert.equal(report.valid, true)
  assert.equal(report.verified, report.length)
}

export async function counter(t: TestContext, script: (db: Database) => Promise<void>): Promise<string> {
  return honestDir(t, { contract: await example('counter'), oplogs: ['alice', 'bob'] }, script)
}

/** Index positions: header, contract, one input per oplog, genesis, the genesis seal; ops follow. */
export const firstOp = (oplogs: number) => 4 + oplogs

/** Index position of op `n` when each op was a block of its own (an op entry, then its seal). */
export const opAt = (oplogs: number, n: number) => firstOp(oplogs) + 2 * n

/** A contract with process(): its metadata is recorded in acks and read by apply. */
export const WITH_PROCESS = `
import assert from 'assert'
export function note({ text }, emit) { emit({ op: 'NOTE', text }) }
export function process(op) {
  if (op.text === 'explode') throw new Error('process refuses')
  return { length: String(op.text).length }
}
export const apply = {
  NOTE(tx, op, ack) {
    assert(typeof op.text === 'string', 'text must be a string')
    tx.put('/notes/' + ack.seq, { text: op.text, length: ack.metadata.length })
  },
}
`
