// `glassbox proof verify` and `glassbox judge` say what a file proves and no more: a range proof
// cut by its limit is a first page (the range may continue), a receipt shows what the executor
// acknowledged (not that the participant signed it), and a verdict reached without --key was
// checked against the key the file itself names. Errors go to stderr in Glassbox's words.

import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { jsonText, toJson } from '../src/codec/json.js'
import type { OpEntry } from '../src/codec/messages.js'
import { Database } from '../src/index.js'
import { AuthMap } from '../src/state/auth/auth-map.js'
import { proveRange } from '../src/state/auth/prove.js'
import { compareKeys } from '../src/state/key-order.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import type { StateEntry } from '../src/vm/types.js'
import { counter, opAt } from './helpers/breaches.js'
import { glassbox, type Run } from './helpers/cli.js'
import { send1 } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'

const FILL = `export function fill(_p, emit) { emit({ op: 'FILL' }) }
export const apply = { async FILL(tx) { tx.put('/a', 1); tx.put('/b', 2); tx.put('/c', 3) } }
`

const FILE_KEY_NOTE = 'checked against the key named in the file; pass --key to check against a key you trust'

describe('proof verify says what a file proves', () => {
  let tmp: string
  let dir: string
  let key: string
  let stateFile: Record<string, unknown>
  /** Every entry of the state (`.sys/` included), in key order, at the seal of the read of /a. */
  const state: StateEntry[] = []

  before(async () => {
    // The files under test come from the library, as `call --receipt` and `get --proof` write them
    // (cli-proofs runs those commands); only `proof verify` and `judge` are run as commands here.
    tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-wording-'))
    dir = path.join(tmp, 'db')
    const db = await Database.create(dir, { contract: FILL, oplogs: ['main'] })
    try {
      key = db.key
      const call = await db.call('fill', {})
      const [done] = await call.whenProcessed()
      assert.equal(done.success, true, done.error ?? undefined)
      await writeFile(path.join(tmp, 'r.json'), jsonText(await db.receipt(call.ops)) + '\n')
      stateFile = toJson((await db.get('/a', { proof: true })).proof) as Record<string, unknown>
      await db.settled()
      for (const prefix of ['.sys/', '']) state.push(...db.list(prefix))
      state.sort((x, y) => compareKeys(x.key, y.key))
    } finally {
      await db.close()
    }
  })

  after(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  /** `proof verify r.json --key KEY`, run once: two tests read what it printed. */
  let receiptWithKey: Promise<Run> | undefined
  const verifyReceiptWithKey = () => (receiptWithKey ??= glassbox(['proof', 'verify', 'r.json', '--key', key], tmp))

  /** A state proof file for a listing of `/` at the same seal as the read of /a. */
  async function rangeFile(name: string, query: { limit?: number; reverse?: boolean }): Promise<string> {
    const proof = proveRange(AuthMap.fromSorted(state), { prefix: '/', ...query })
    await writeFile(path.join(tmp, name), JSON.stringify({ ...stateFile, proof }))
    return name
  }

  test('a range cut by its limit reads as a first page whose completeness is not proven', async () => {
    const file = await rangeFile('page.json', { limit: 1 })
    const text = await glassbox(['proof', 'verify', file, '--key', key], tmp)
    assert.equal(text.code, 0, text.stderr)
    assert.doesNotMatch(text.stdout, /complete range/)
    assert.match(
      text.stdout,
      /^valid: entries 1\.\.1 \(limit 1, in key order\) of the range of keys starting with "\/": none of the range is missing up to "\/a", but the range may continue past it \(its completeness is not proven\) under the seal/,
    )
    assert.match(text.stdout, /^ {2}\/a = 1$/m)
    const json = JSON.parse((await glassbox(['proof', 'verify', file, '--key', key, '--json'], tmp)).stdout)
    assert.equal(json.state.complete, false)
    assert.equal(json.state.limit, 1)
    assert.equal(json.keySource, 'given')

    const back = await glassbox(['proof', 'verify', await rangeFile('back.json', { limit: 2, reverse: true }), '--key', key], tmp)
    assert.match(back.stdout, /^valid: the last 2 entries \(limit 2, from the highest key down\) of the range .*missing up to "\/b", but the range may continue past it/)
  })

  test('a range with no limit, or fewer entries than its limit, reads as complete', async () => {
    for (const [name, query] of [['all.json', {}], ['short.json', { limit: 10 }]] as const) {
      const run = await glassbox(['proof', 'verify', await rangeFile(name, query), '--key', key], tmp)
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /^valid: the whole of the range of keys starting with "\/": 3 entries, complete \(the range holds no other key\) under the seal/)
      const json = JSON.parse((await glassbox(['proof', 'verify', name, '--key', key, '--json'], tmp)).stdout)
      assert.equal(json.state.complete, true)
    }
  })

  test("a receipt says what the executor acknowledged, not that the participant signed the op", async () => {
    // A receipt holds no participant signature, so one for an op the executor made up reads the same:
    // the wording must not claim more for any receipt.
    const run = await verifyReceiptWithKey()
    assert.equal(run.code, 0, run.stderr)
    assert.doesNotMatch(run.stdout, /signed in its oplog/)
    assert.match(run.stdout, /^ {2}op [0-9a-f]{8}…\/0: acknowledged at index \d+: ok \(in oplog [0-9a-f]{8}… at the length and root the ack names\)$/m)
    assert.match(run.stdout, /the receipt shows what the executor acknowledged; it holds no signature of the participants, so it does not show that they signed these ops/)
  })

  test('without --key the output says the file named the key it was checked against', async () => {
    const without = await glassbox(['proof', 'verify', 'r.json'], tmp)
    assert.equal(without.code, 0, without.stderr)
    assert.equal(without.stdout.trimEnd().split('\n').at(-1), FILE_KEY_NOTE)
    assert.equal(JSON.parse((await glassbox(['proof', 'verify', 'r.json', '--json'], tmp)).stdout).keySource, 'file')
    const withKey = await verifyReceiptWithKey()
    assert.doesNotMatch(withKey.stdout, /key named in the file/)
  })

  test('a missing proof file is said in words on stderr', async () => {
    for (const args of [['proof', 'verify', 'nothing.json'], ['judge', 'nothing.json']]) {
      const run = await glassbox(args, tmp)
      assert.equal(run.code, 2)
      assert.equal(run.stdout, '')
      assert.equal(run.stderr, 'glassbox: no proof file at nothing.json\n')
    }
    const dirArg = await glassbox(['proof', 'verify', 'db'], tmp)
    assert.equal(dirArg.stderr, 'glassbox: db is a directory, not a proof file\n')
  })
})

describe('judge', () => {
  test('says when the key came from the file, and reports a malformed file on stderr', async (t) => {
    const dir = await counter(t, async (db) => {
      await send1(db, 'increment', {}, 'alice', true)
      await send1(db, 'increment', { by: 2 }, 'alice', true)
    })
    const at = opAt(2, 1)
    await withDishonest(dir, async (x) => {
      await x.tamperOp(at, (e: OpEntry) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
      await x.reseal(at + 1)
    })
    const report = await verifyDirectory(dir, { fraudProof: true })
    assert.ok(report.fraudProof?.proof, 'a proof is built')
    const file = path.join(dir, 'fraud.json')
    await writeFile(file, JSON.stringify(report.fraudProof.proof))

    const without = await glassbox(['judge', file], dir)
    assert.equal(without.code, 0, without.stderr)
    assert.match(without.stdout, /^breach proven: changes-mismatch/)
    assert.equal(without.stdout.trimEnd().split('\n').at(-1), FILE_KEY_NOTE)
    assert.equal(JSON.parse((await glassbox(['judge', file, '--json'], dir)).stdout).keySource, 'file')
    const withKey = await glassbox(['judge', file, '--key', report.key, '--json'], dir)
    assert.equal(JSON.parse(withKey.stdout).keySource, 'given')

    const bad = path.join(dir, 'bad.json')
    await writeFile(bad, '{"format": "glassbox-proof/1", "kind": "fraud"}')
    const malformed = await glassbox(['judge', bad], dir)
    assert.equal(malformed.code, 2)
    assert.equal(malformed.stdout, '')
    assert.match(malformed.stderr, /^glassbox: malformed proof: /)
  })
})

describe('missing files and directories', () => {
  test("are said in Glassbox's words, not as a raw ENOENT", async (t) => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-missing-'))
    t.after(() => rm(tmp, { recursive: true, force: true }))
    // `verify --dir` on a missing directory is checked in cli-verify.
    for (const [args, said] of [
      [['info', '--dir', 'nope'], 'glassbox: nope: no such directory (create one with `glassbox init`)\n'],
      [['serve', '--dir', 'nope', '--http', '0', '--token-file', 'no-token'], 'glassbox: no such file or directory: no-token\n'],
    ] as const) {
      const run = await glassbox([...args], tmp)
      assert.equal(run.code, 2, run.stderr)
      assert.equal(run.stderr, said)
      assert.doesNotMatch(run.stderr, /ENOENT/)
    }
  })
})
