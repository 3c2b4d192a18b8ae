// Fraud proofs and the judge: every provable breach class, made on real signed logs by a dishonest
// executor that re-signs its own log, is caught by the monitor, turned into a proof and proven by
// the judge (and by `glassbox judge`). The other direction matters as much: an honest executor can
// never be framed, so proofs built from honest entries and forged, truncated or mismatched proofs
// are never proven.

import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { fromHex, toHex } from '../src/codec/hash.js'
import { decodeEntry, encodeEntry, encodeOp, type OpEntry, type SealEntry } from '../src/codec/messages.js'
import { proveEntry, signedSealAt } from '../src/log/sealed-entry.js'
import { keyOfSigner, signerOf } from '../src/log/seal.js'
import { valueHash } from '../src/state/auth/node-hash.js'
import type { ProofNode } from '../src/state/auth/proof-types.js'
import type { BreachClass, BreachNotice } from '../src/verify/breach.js'
import { buildFraudProof, forkProof, type ExecutionProof, type FraudProof, type SealProof } from '../src/verify/fraud-proof.js'
import { judge, judgeText, type JudgeReturnType } from '../src/verify/judge.js'
import { Replay } from '../src/verify/replay.js'
import { openLogs, verifyDirectory } from '../src/verify/verify-dir.js'
import { counter, firstOp, opAt, WITH_PROCESS } from './helpers/breaches.js'
import { glassbox } from './helpers/cli.js'
import { honestDir, send1, tempDir, withoutExecutor } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'

const copy = <T>(v: T): T => structuredClone(v)

/** Verifies `dir` with proofs on and returns the breach and its proof (which must exist). */
async function proofOf(dir: string, cls: BreachClass, opts: { checkpointPath?: string } = {}): Promise<{ notice: BreachNotice; proof: FraudProof }> {
  const report = await verifyDirectory(dir, { fraudProof: true, ...opts })
  assert.ok(report.breach, 'a breach is found')
  assert.equal(report.breach.class, cls, report.breach.message)
  assert.ok(report.fraudProof, 'the report says what became of the proof')
  assert.ok(report.fraudProof.proof, `a proof is built: ${report.fraudProof.reason}`)
  return { notice: report.breach, proof: report.fraudProof.proof }
}

async function expectProven(proof: unknown, cls: BreachClass, key?: string): Promise<void> {
  const v = await judge(proof, key === undefined ? {} : { key })
  assert.equal(v.verdict, 'proven', 'reason' in v ? v.reason : '')
  assert.equal((v as Extract<JudgeReturnType, { verdict: 'proven' }>).class, cls)
}

async function expectNotProven(proof: unknown, reason?: RegExp, key?: string): Promise<void> {
  const v = await judge(proof, key === undefined ? {} : { key })
  assert.notEqual(v.verdict, 'proven', 'never proven')
  assert.equal(v.verdict, 'not-proven', 'reason' in v ? v.reason : '')
  if (reason) assert.match((v as { reason: string }).reason, reason)
}

/** A counter database with two increments by alice (ops at opAt(2, 0) and opAt(2, 1)). */
const twoOps = (t: TestContext) =>
  counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', { by: 2 }, 'alice', true)
  })

/** Tampers op entry `at` with `mutate` and re-signs the seals after it. */
async function tamperOp(dir: string, at: number, mutate: (e: OpEntry) => OpEntry): Promise<void> {
  await withDishonest(dir, async (x) => {
    await x.tamperOp(at, mutate)
    await x.reseal(at + 1)
  })
}

async function cliJudge(t: TestContext, proof: unknown, extra: string[] = []): Promise<{ code: number | null; stdout: string }> {
  const dir = await tempDir(t)
  const file = path.join(dir, 'proof.json')
  await writeFile(file, typeof proof === 'string' ? proof : JSON.stringify(proof))
  return glassbox(['judge', file, ...extra], dir)
}

// ---------------------------------------------------------------------------------------------
// Every provable class: a real dishonest log, verify, proof, judge

test('wrong execution: each class is proven by re-executing the op alone', async (t) => {
  const cases: { name: string; cls: BreachClass; make: (t: TestContext) => Promise<string>; at: number; mutate: (e: OpEntry) => OpEntry }[] = [
    { name: 'changes-mismatch', cls: 'changes-mismatch', make: twoOps, at: opAt(2, 1), mutate: (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }) },
    { name: 'wrong-outcome', cls: 'wrong-outcome', make: twoOps, at: opAt(2, 0), mutate: (e) => ({ ...e, ack: { ...e.ack, success: false, error: 'counter is full' }, changes: [] }) },
    { name: 'wrong-root', cls: 'wrong-root', make: twoOps, at: opAt(2, 1), mutate: (e) => ({ ...e, stateRoot: new Uint8Array(32).fill(7) }) },
    {
      name: 'unexplained-switch',
      cls: 'unexplained-switch',
      make: twoOps,
      at: opAt(2, 0),
      mutate: (e) => ({ ...e, changes: [...e.changes, { type: 'put', key: `.sys/inputs/${'cd'.repeat(32)}`, value: { pubkey: 'cd'.repeat(32) } }] }),
    },
    { name: 'ack-mismatch: metadata without process()', cls: 'ack-mismatch', make: twoOps, at: opAt(2, 0), mutate: (e) => ({ ...e, ack: { ...e.ack, metadata: { price: 7 } } }) },
    {
      name: 'ack-mismatch: metadata on a process() failure',
      cls: 'ack-mismatch',
      make: (t) => honestDir(t, { contract: WITH_PROCESS, oplogs: ['alice'] }, async (db) => void (await send1(db, 'note', { text: 'explode' }, 'alice', false))),
      at: firstOp(1),
      mutate: (e) => ({ ...e, ack: { ...e.ack, metadata: { length: 1 } } }),
    },
    {
      name: 'changes-mismatch: changes on a process() failure',
      cls: 'changes-mismatch',
      make: (t) => honestDir(t, { contract: WITH_PROCESS, oplogs: ['alice'] }, async (db) => void (await send1(db, 'note', { text: 'explode' }, 'alice', false))),
      at: firstOp(1),
      mutate: (e) => ({ ...e, changes: [{ type: 'put', key: '/notes/0', value: { text: 'forged', length: 6 } }] }),
    },
  ]
  for (const k of cases) {
    await t.test(k.name, async (t) => {
      const dir = await k.make(t)
      await tamperOp(dir, k.at, k.mutate)
      const { notice, proof } = await proofOf(dir, k.cls)
      assert.equal(notice.seq, k.at)
      assert.equal(proof.seq, k.at)
      assert.equal(proof.format, 'glassbox-proof/1')
      await expectProven(proof, k.cls, proof.key)
      // Through the file and the CLI too.
      const run = await cliJudge(t, proof, ['--key', proof.key])
      assert.equal(run.code, 0, run.stdout)
      assert.match(run.stdout, new RegExp(`^breach proven: ${k.cls} at index #${k.at}`))
    })
  }
})

test("the database's own monitor builds the same proof", async (t) => {
  const dir = await twoOps(t)
  await tamperOp(dir, opAt(2, 1), (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
  const { proof } = await proofOf(dir, 'changes-mismatch')
  const viaDb = await withoutExecutor(dir, (db) => db.verify({ fraudProof: true }))
  assert.deepEqual(viaDb.fraudProof?.proof, proof)
})

test('bad-seal: a signed state root the entry before it contradicts, and a seal that lies about its position', async (t) => {
  await t.test('state root', async (t) => {
    const dir = await twoOps(t)
    const at = opAt(2, 0) + 1
    await withDishonest(dir, (x) => x.tamper(at, (e) => x.sign({ ...(e as SealEntry), stateRoot: new Uint8Array(32).fill(9) })))
    const { proof } = await proofOf(dir, 'bad-seal')
    await expectProven(proof, 'bad-seal')
    assert.equal((await cliJudge(t, proof)).code, 0)
  })
  await t.test('length', async (t) => {
    const dir = await twoOps(t)
    const at = opAt(2, 0) + 1
    await withDishonest(dir, async (x) => {
      await x.tamper(at, (e) => x.sign({ ...(e as SealEntry), length: at - 1 }))
      await x.reseal(at + 1)
    })
    const { proof } = await proofOf(dir, 'bad-seal')
    await expectProven(proof, 'bad-seal')
  })
  await t.test('no proof when no later seal is valid, or for the tree hash and signature faults', async (t) => {
    const dir = await twoOps(t)
    const last = opAt(2, 1) + 1
    await withDishonest(dir, (x) => x.tamper(last, (e) => x.sign({ ...(e as SealEntry), length: last - 1 })))
    const report = await verifyDirectory(dir, { fraudProof: true })
    assert.equal(report.breach?.class, 'bad-seal')
    assert.equal(report.fraudProof?.proof, null)
    assert.match(report.fraudProof?.reason ?? '', /no validly signed seal/)
    const dir2 = await twoOps(t)
    await withDishonest(dir2, (x) => x.tamper(last, (e) => x.sign({ ...(e as SealEntry), treeHash: new Uint8Array(32).fill(9) })))
    const r2 = await verifyDirectory(dir2, { fraudProof: true })
    assert.equal(r2.breach?.class, 'bad-seal')
    assert.equal(r2.fraudProof?.proof, null)
    // Positions are decided by the whole history of acks: only the log shows them wrong.
    const dir3 = await twoOps(t)
    await withDishonest(dir3, (x) => x.tamper(last, (e) => x.sign({ ...(e as SealEntry), positions: new Uint8Array(32).fill(9) })))
    const r3 = await verifyDirectory(dir3, { fraudProof: true })
    assert.equal(r3.breach?.class, 'bad-seal')
    assert.match(r3.breach?.message ?? '', /oplog positions/)
    assert.equal(r3.fraudProof?.proof, null)
  })
})

test('index-rewritten: the seal kept in the checkpoint and the one at its place now form a fork proof', async (t) => {
  const dir = await twoOps(t)
  const checkpointPath = path.join(await tempDir(t), 'monitor.json')
  assert.equal((await verifyDirectory(dir, { checkpointPath })).valid, true)
  await withDishonest(dir, async (x) => {
    const last = await x.lastOp()
    await x.tamperOp(last.seq, (e) => ({ ...e, ack: { ...e.ack, ts: e.ack.ts + 1 } }))
    await x.reseal(last.seq + 1)
  })
  const { proof } = await proofOf(dir, 'index-rewritten', { checkpointPath })
  await expectProven(proof, 'index-rewritten')
  assert.equal((await cliJudge(t, proof)).code, 0)
  // The same two seals given in either order; one seal twice, or two seals of different lengths, prove nothing.
  assert.equal(proof.class, 'index-rewritten')
  const [a, b] = proof.seals
  await expectProven(forkProof(proof.key, b, a), 'index-rewritten')
  await expectNotProven(forkProof(proof.key, a, a), /agree/)
  const other = await withDishonest(dir, (x) => signedSealAt(x.index, opAt(2, 0) + 1, signerOf(x.index)))
  await expectNotProven(forkProof(proof.key, a, other), /different lengths/)
})

// ---------------------------------------------------------------------------------------------
// An honest executor can never be framed

/** Builds an execution "proof" for honest entry `at` of `dir`, with the monitor's own builder. */
async function honestProof(dir: string, at: number, cls: BreachClass = 'changes-mismatch'): Promise<FraudProof> {
  const { store, logs } = await openLogs(dir)
  const replay = new Replay(logs)
  try {
    await replay.resumeAt(at)
    const notice = { class: cls, seq: at, path: null, message: 'framed', expected: null, found: null, evidence: { index: toHex(logs.index.key), indexLength: at + 1, indexHash: '' } }
    const built = await replay.fraudProof(notice)
    assert.ok(built.proof, built.reason ?? '')
    return built.proof
  } finally {
    replay.dispose()
    await store.close()
  }
}

test('a proof built from an honest entry is not proven, whatever class it claims', async (t) => {
  const dir = await twoOps(t)
  for (const cls of ['changes-mismatch', 'wrong-root', 'wrong-outcome', 'ack-mismatch'] as const) {
    const proof = await honestProof(dir, opAt(2, 1), cls)
    await expectNotProven(proof, /what the contract gives/)
    assert.equal((await cliJudge(t, proof)).code, 1)
  }
  // The builder refuses a class it cannot prove.
  const { store, logs } = await openLogs(dir)
  try {
    const built = await buildFraudProof(
      { index: logs.index, oplog: logs.oplog, signer: signerOf(logs.index), state: new Replay(logs).view.state, vm: null, atPreState: true },
      { class: 'op-skipped', seq: 5, path: null, message: '', expected: null, found: null, evidence: { index: '', indexLength: 0, indexHash: '' } },
    )
    assert.equal(built.proof, null)
    assert.match(built.reason ?? '', /op-skipped has no fraud proof/)
  } finally {
    await store.close()
  }
})

test('a real proof with the honest entry, witness or op swapped in is not proven', async (t) => {
  const honestDirPath = await twoOps(t)
  const dir = await twoOps(t)
  const at = opAt(2, 1)
  await tamperOp(dir, at, (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
  const real = (await proofOf(dir, 'changes-mismatch')).proof as ExecutionProof
  const honest = (await honestProof(honestDirPath, at)) as ExecutionProof

  await t.test('the honest entry (of another database) under the dishonest anchor', async () => {
    await expectNotProven({ ...copy(real), entry: honest.entry }, /not in the index log the seal signed/)
  })
  await t.test('the whole honest proof with the dishonest key', async () => {
    await expectNotProven({ ...copy(honest), key: real.key }, /does not sign database/)
  })
  await t.test('a key the caller did not ask about', async () => {
    await expectNotProven(real, /not/, 'ab'.repeat(32))
  })
  await t.test('the seal signed by another database', async () => {
    await expectNotProven({ ...copy(real), anchor: honest.anchor }, /does not sign database/)
  })
  await t.test('a seal signature that does not verify', async () => {
    const forged = copy(real)
    const seal = decodeEntry(fromHex(forged.anchor.seal)) as SealEntry
    seal.signature[0] ^= 1
    forged.anchor.seal = toHex(encodeEntry(seal))
    await expectNotProven(forged, /signature/)
  })
  await t.test('a signer that is not the key', async () => {
    await expectNotProven({ ...copy(real), anchor: { ...real.anchor, signer: honest.anchor.signer } }, /does not sign/)
  })
  await t.test('the previous entry from elsewhere', async () => {
    await expectNotProven({ ...copy(real), previous: honest.previous }, /not in the index log/)
    await expectNotProven({ ...copy(real), previous: real.header }, /entry 0, not entry/)
  })
  await t.test('a witness for another root', async () => {
    const other = await honestProof(honestDirPath, opAt(2, 0))
    await expectNotProven({ ...copy(real), witness: (other as ExecutionProof).witness }, /witness is not of the state/)
  })
  await t.test('a truncated witness: the value read replaced by its hash, or the source pruned', async () => {
    const gap = (key: string) => {
      const forged = copy(real)
      forged.witness.nodes = forged.witness.nodes.map((n: ProofNode) => ('key' in n && n.key === key && 'value' in n ? { key, valueHash: toHex(valueHash(n.value)) } : n))
      return forged
    }
    await expectNotProven(gap('/count'), /does not cover/)
    await expectNotProven(gap('.sys/contract/source'), /does not cover the contract source/)
    await expectNotProven({ ...copy(real), witness: { ...real.witness, nodes: real.witness.nodes.slice(0, 2) } }, /witness/)
  })
  await t.test('op bytes that are not the op the ack names, or its inclusion proof tampered', async () => {
    await expectNotProven({ ...copy(real), op: { ...real.op, bytes: toHex(encodeOp({ op: 'INCREMENT', by: 97 })) } }, /not op 1 of the oplog/)
    await expectNotProven({ ...copy(real), op: { ...real.op, inclusion: { ...real.op.inclusion, index: 0 } } }, /op proof is for block 0/)
    const path0 = copy(real)
    if (path0.op.inclusion.path[0]) path0.op.inclusion.path[0].hash = '00'.repeat(32)
    else path0.op.inclusion.roots[0].hash = '00'.repeat(32)
    await expectNotProven(path0, /not op 1/)
  })
  await t.test('an entry that is not the op (the header given as the entry)', async () => {
    const v = await judge({ ...copy(real), entry: real.header, previous: real.header })
    assert.notEqual(v.verdict, 'proven')
  })
})

test('a database made with another runtime: the judge refuses', async (t) => {
  const dir = await twoOps(t)
  const at = opAt(2, 1)
  await tamperOp(dir, at, (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
  const real = (await proofOf(dir, 'changes-mismatch')).proof as ExecutionProof
  // The same log with another runtime in its header, signed again by the executor.
  const forged = await withDishonest(dir, async (x) => {
    await x.tamper(0, (e) => ({ ...(e as { type: 'header'; protocol: string; runtime: string }), runtime: 'glassbox-vm/0 something else' }))
    await x.reseal(1)
    const signer = signerOf(x.index)
    return { ...copy(real), anchor: await signedSealAt(x.index, at + 1, signer), header: await proveEntry(x.index, 0, at + 1), previous: await proveEntry(x.index, at - 1, at + 1), entry: await proveEntry(x.index, at, at + 1) }
  })
  await expectNotProven(forged, /refuses to judge/)
})

test('a seal proof that contradicts nothing is not proven', async (t) => {
  const dir = await twoOps(t)
  const at = opAt(2, 0) + 1
  const proof = await withDishonest(dir, async (x): Promise<SealProof> => {
    const signer = signerOf(x.index)
    return {
      format: 'glassbox-proof/1',
      kind: 'fraud',
      class: 'bad-seal',
      key: toHex(x.index.key),
      seq: at,
      message: 'framed',
      anchor: await signedSealAt(x.index, at, signer),
      entry: await proveEntry(x.index, at - 1, at),
    }
  })
  await expectNotProven(proof, /does not contradict/)
  await expectNotProven({ ...proof, entry: { ...proof.entry, position: at - 2 } }, /inclusion proof is for block/)
  assert.equal(toHex(keyOfSigner(fromHex(proof.anchor.signer))), proof.key)
})

test('malformed files: exit 2, never proven', async (t) => {
  const dir = await twoOps(t)
  await tamperOp(dir, opAt(2, 1), (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
  const real = (await proofOf(dir, 'changes-mismatch')).proof as ExecutionProof
  const bad: [string, unknown][] = [
    ['not JSON', '{"format": "glassbox-proof/1",'],
    ['an array', '[]'],
    ['another format', { ...real, format: 'glassbox-proof/2' }],
    ['another kind', { ...real, kind: 'receipt' }],
    ['an unknown class', { ...real, class: 'mischief' }],
    ['an unprovable class', { ...real, class: 'op-skipped' }],
    ['no witness', { ...real, witness: undefined }],
    ['no op', { ...real, op: null }],
    ['a short key', { ...real, key: 'abc' }],
    ['an entry without bytes', { ...real, entry: { position: real.entry.position, inclusion: real.entry.inclusion } }],
    ['seal bytes that are not hex', { ...real, anchor: { ...real.anchor, seal: 'zz' } }],
  ]
  for (const [name, proof] of bad) {
    const v = typeof proof === 'string' ? await judgeText(proof) : await judge(JSON.parse(JSON.stringify(proof)))
    assert.equal(v.verdict, 'malformed', `${name}: ${JSON.stringify(v)}`)
  }
  for (const [name, proof] of bad.slice(0, 3)) {
    const run = await cliJudge(t, proof)
    assert.equal(run.code, 2, `${name}: ${run.stdout}`)
  }
  // `judge` of a missing file (exit 2, one line on stderr) is checked in cli-proof-wording.
})

test('glassbox verify writes the proof file and prints its path; judge --json reports the verdict', async (t) => {
  const dir = await twoOps(t)
  const at = opAt(2, 1)
  await tamperOp(dir, at, (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
  const cwd = await tempDir(t)
  const text = await glassbox(['verify', '--dir', dir], cwd)
  assert.equal(text.code, 1, text.stderr)
  const file = path.join(dir, 'fraud-proofs', `${at}-changes-mismatch.json`)
  assert.match(text.stdout, new RegExp(`fraud proof written to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  const out = path.join(cwd, 'p.json')
  const json = JSON.parse((await glassbox(['verify', '--dir', dir, '--json', '--proof-out', out], cwd)).stdout)
  assert.equal(json.fraudProof, out)
  const judged = await glassbox(['judge', out, '--json'], cwd)
  assert.equal(judged.code, 0)
  const verdict = JSON.parse(judged.stdout)
  assert.equal(verdict.verdict, 'proven')
  assert.equal(verdict.class, 'changes-mismatch')
  assert.equal((await glassbox(['judge', out, '--key', 'ab'.repeat(32)], cwd)).code, 1)
  const help = await glassbox(['judge', '--help'], cwd)
  assert.equal(help.code, 0)
  assert.match(help.stdout, /judge FILE/)
})

test('glassbox verify on an unsealed tamper says why there is no proof', async (t) => {
  const dir = await twoOps(t)
  await withDishonest(dir, (x) => x.tamperOp(opAt(2, 1), (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] })))
  const json = JSON.parse((await glassbox(['verify', '--dir', dir, '--json'], await tempDir(t))).stdout)
  assert.equal(json.fraudProof, null)
  assert.match(json.fraudProofReason, /no validly signed seal/)
})
