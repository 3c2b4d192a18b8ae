// Claims and the light client (docs/protocol.md §11): monitors claim what they verified, and a light
// client holding no logs weighs them. Four trusted monitors, over real HTTP servers on loopback:
// one honest, one that lies about the state root, one that equivocates and one that is silent. The
// light client must pick the honest root, name the liar and the equivocator with evidence a third
// party checks alone, and never blame the honest one.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { checkClaim, claimCheckpointText, ClaimError, claimSignable, equivocation, executorSigned, signClaim, type Claim } from '../src/claims/claim.js'
import { sign } from '../src/codec/sign.js'
import { Claimer } from '../src/claims/claimer.js'
import { ClaimsLog } from '../src/claims/claims-log.js'
import { LightClient } from '../src/claims/light-client.js'
import { checkTrustFile, TRUST_FORMAT, type TrustFile } from '../src/claims/trust-file.js'
import { parseNote, parseVerifierKey } from '../src/codec/signed-note.js'
import { Database, type LogCheckpoint } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { startHttpApi, type HttpApi } from '../src/net/http/server.js'
import type { Monitor, VerifyReport } from '../src/verify/monitor.js'
import { example, send1, steppedMonitor, tempDir } from './helpers/databases.js'

const b64hex = (s: string) => Buffer.from(s, 'base64').toString('hex')

async function claimsLog(t: TestContext): Promise<ClaimsLog> {
  const store = new LogStore(await tempDir(t))
  await store.ready()
  t.after(() => store.close())
  return new ClaimsLog(await store.localClaims())
}

async function serving(t: TestContext, opts: Parameters<typeof startHttpApi>[0]): Promise<HttpApi> {
  const api = await startHttpApi(opts)
  t.after(() => api.close())
  return api
}

/**
 * Verifies until the monitor has passed every entry the database holds now: a pass already running
 * when the last call's block landed answers without it.
 */
async function verifyThrough(monitor: Monitor, db: Database): Promise<VerifyReport> {
  for (;;) {
    const report = await monitor.verifyToHead()
    if (report.breach || report.verified >= db.length) return report
  }
}

/** A counter database after one op, with a monitor that has replayed it and claimed its latest seal. */
async function claimedCounter(t: TestContext): Promise<{ db: Database; monitor: Monitor; claimer: Claimer }> {
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'increment', {}, 'alice', true)
  const monitor = await db.monitor()
  const claimer = await Claimer.attach(monitor, await claimsLog(t), db.key, db.signer)
  await verifyThrough(monitor, db)
  await claimer.settled()
  return { db, monitor, claimer }
}

/** The claim an honest monitor makes about `cp`, as a body a dishonest one may alter before signing. */
function bodyOf(db: Database, cp: LogCheckpoint, previous: { length: number; stateRoot: string } | null) {
  return {
    database: db.key,
    length: cp.size,
    previousLength: previous?.length ?? 0,
    previousStateRoot: previous?.stateRoot ?? '',
    entriesRoot: b64hex(cp.root),
    stateRoot: cp.stateRoot,
    treeHash: cp.treeHash,
    positions: cp.positions,
    signer: Buffer.from(parseVerifierKey(cp.verifierKey).publicKey).toString('hex'),
    sealSignature: Buffer.from(parseNote(cp.note).signatures[0].signature).toString('hex'),
    time: Math.floor(Date.now() / 1000),
  }
}

test('three monitors, one lying, one equivocating, one silent: the light client picks the honest root and names the liars', async (t) => {
  // The honest monitor replays and claims through the latest seal.
  const { db, monitor: honest, claimer } = await claimedCounter(t)
  const first = await db.checkpoint()
  const firstClaim = (await claimer.log.last()) as Claim
  assert.equal(firstClaim.length, first.size)
  assert.equal(firstClaim.stateRoot, first.stateRoot)
  const emptyRoot = firstClaim.previousStateRoot

  // The equivocator claims the first checkpoint truthfully ...
  const equivocator = await claimsLog(t)
  await equivocator.append(bodyOf(db, first, { length: 0, stateRoot: emptyRoot }))
  await send1(db, 'increment', { by: 2 }, 'alice', true)
  await verifyThrough(honest, db)
  await claimer.settled()
  const second = await db.checkpoint()
  assert.ok(second.size > first.size)
  // ... then builds its next claim on a state root at the first length it never claimed.
  await equivocator.append(bodyOf(db, second, { length: first.size, stateRoot: '11'.repeat(32) }))

  // The liar claims the latest checkpoint with a state root of its own making.
  const liar = await claimsLog(t)
  await liar.append({ ...bodyOf(db, second, { length: 0, stateRoot: emptyRoot }), stateRoot: '22'.repeat(32) })

  const executorApi = await serving(t, { db, port: 0, token: null })
  const honestApi = await serving(t, { db, monitor: honest, claims: claimer.log, port: 0, token: null })
  const liarApi = await serving(t, { db, claims: liar, port: 0, token: null })
  const equivocatorApi = await serving(t, { db, claims: equivocator, port: 0, token: null })
  const gone = await startHttpApi({ db, port: 0, token: null })
  await gone.close()

  const trust: TrustFile = checkTrustFile({
    format: TRUST_FORMAT,
    database: db.key,
    executor: executorApi.url,
    threshold: 2,
    monitors: [
      { key: claimer.log.monitor, weight: 2, url: honestApi.url, name: 'honest' },
      { key: liar.monitor, weight: 1, url: liarApi.url, name: 'liar' },
      { key: equivocator.monitor, weight: 1, url: equivocatorApi.url, name: 'equivocator' },
      { key: '33'.repeat(32), weight: 1, url: gone.url, name: 'silent' },
    ],
  })
  const light = new LightClient(trust, { timeoutMs: 2000 })
  const view = await light.sync()

  assert.equal(view.checkpoint?.length, second.size)
  assert.equal(view.head?.length, second.size)
  assert.equal(view.head?.stateRoot, second.stateRoot)
  assert.equal(view.head?.weight, 2)
  assert.deepEqual(view.head?.monitors, [claimer.log.monitor])
  assert.equal(view.trusted, true)
  assert.deepEqual(view.conflicts, [])
  const state = Object.fromEntries(view.monitors.map((m) => [m.name, m.state]))
  assert.deepEqual(state, { honest: 'counted', liar: 'accused', equivocator: 'accused', silent: 'silent' })
  assert.ok(!view.accusations.some((a) => a.monitor === claimer.log.monitor), 'the honest monitor is never blamed')

  // The evidence stands alone: a third party checks it with nothing but the claims in it.
  const lie = view.accusations.find((a) => a.monitor === liar.monitor)
  assert.ok(lie && lie.kind === 'false-claim')
  const lieClaim = checkClaim(JSON.parse(JSON.stringify(lie.claim)))
  assert.equal(lieClaim.monitor, liar.monitor, 'the liar signed it')
  assert.equal(executorSigned(lieClaim), false, 'the executor never signed the checkpoint it claims')
  const equiv = view.accusations.find((a) => a.monitor === equivocator.monitor)
  assert.ok(equiv && equiv.kind === 'equivocation')
  const [a, b] = equiv.claims.map((c) => checkClaim(JSON.parse(JSON.stringify(c))))
  assert.ok(executorSigned(a) && executorSigned(b), 'both claims are about checkpoints the executor signed')
  assert.match(equivocation(a, b) ?? '', /two state roots at length/)

  // A read comes with its proof and the guarantee of the honest monitor's weight.
  const read = await light.read('/count')
  assert.equal(read.found, true)
  assert.equal(read.value, 3)
  assert.equal(read.guarantee.length, second.size)
  assert.equal(read.guarantee.stateRoot, second.stateRoot)
  assert.equal(read.guarantee.weight, 2)
  assert.equal(read.guarantee.trusted, true)
  assert.match(read.guarantee.statement, /or monitors of total weight 2 signed a false claim/)
})

test('claims that are forged, replayed under another monitor or about another database change nothing', async (t) => {
  const { db, claimer } = await claimedCounter(t)
  const good = (await claimer.log.last()) as Claim

  const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1)
  // Signed again by the monitor's own key: only the part under test is wrong.
  const secretKey = claimer.log.core.keyPair?.secretKey as Uint8Array
  const resign = (c: Claim): Claim => ({ ...c, signature: Buffer.from(sign(claimSignable(c), secretKey)).toString('hex') })
  const forgedCosignature = resign({ ...good, cosignature: flip(good.cosignature) })
  const forgedSignature = { ...good, signature: flip(good.signature) }
  const { cosignature: _c, signature: _s, ...body } = good
  const otherDatabase = signClaim({ ...body, database: '44'.repeat(32) }, secretKey)
  assert.throws(() => checkClaim(forgedCosignature), (err: unknown) => err instanceof ClaimError && /cosignature/.test(err.message))
  assert.throws(() => checkClaim(forgedSignature), (err: unknown) => err instanceof ClaimError && /not signed/.test(err.message))
  assert.throws(() => checkClaim({ ...good, time: good.time + 1 }), (err: unknown) => err instanceof ClaimError && /not signed/.test(err.message))
  assert.throws(() => checkClaim({ ...good, extra: 1 }), /unexpected field/)
  assert.throws(() => checkClaim({ ...good, length: 0 }), /previousLength must be below length/)

  // Served by a monitor the trust file names, the forgeries are refused, and nobody is accused.
  const other = await claimsLog(t)
  const { createServer } = await import('node:http')
  const bad = [forgedCosignature, forgedSignature, otherDatabase, good /* the honest one's claim, served as this monitor's */]
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(req.url?.startsWith('/v1/claims') ? JSON.stringify({ monitor: other.monitor, length: bad.length, claims: bad }) : JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no' } }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const executorApi = await serving(t, { db, port: 0, token: null })
  const honestApi = await serving(t, { db, claims: claimer.log, port: 0, token: null })
  const light = new LightClient(
    checkTrustFile({
      format: TRUST_FORMAT,
      database: db.key,
      executor: executorApi.url,
      threshold: 1,
      monitors: [
        { key: claimer.log.monitor, weight: 1, url: honestApi.url },
        { key: other.monitor, weight: 5, url },
      ],
    }),
  )
  const view = await light.sync()
  assert.deepEqual(view.accusations, [])
  assert.equal(view.refused.length, 4)
  assert.match(view.refused.map((r) => r.reason).join('\n'), /cosignature[\s\S]*not signed[\s\S]*about database 44444444[\s\S]*served as/)
  assert.equal(view.head?.weight, 1, "the forger's weight counts for nothing")
  assert.equal(view.head?.stateRoot, good.stateRoot)
})

test('a monitor that claimed a checkpoint holds the executor to its time: a later ack dated before it is a breach', async (t) => {
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'increment', {}, 'alice', true)
  // A monitor that verifies only when told to, so the test decides what it has seen when it claims.
  const monitor = await steppedMonitor(t, db)
  await verifyThrough(monitor, db)
  // The executor acknowledges another op before the monitor cosigns what it verified.
  await send1(db, 'increment', {}, 'alice', true)
  const before = db.length
  // The monitor's clock is ten minutes ahead of the executor's: past any allowance for skew.
  const claimer = await Claimer.attach(monitor, await claimsLog(t), db.key, db.signer, { now: () => Date.now() + 600_000, clockSkewMs: 60_000 })
  await claimer.settled()
  const claimed = (await claimer.log.last()) as Claim
  assert.ok(claimed.length < before)
  // What the log held when the monitor cosigned was acknowledged before: no breach, however early.
  assert.equal((await verifyThrough(monitor, db)).valid, true)
  // That pass verified a new seal, which the monitor may cosign in turn: either cosignature anchors.
  await claimer.settled()
  const cosigned = (await claimer.log.list()).map((c) => c.length)
  // What the executor acknowledges after the cosignature may not be dated before it.
  await send1(db, 'increment', {}, 'alice', true)
  const report = await verifyThrough(monitor, db)
  assert.equal(report.valid, false)
  assert.equal(report.breach?.class, 'ts-backwards')
  assert.ok((report.breach?.seq ?? 0) >= before)
  const cited = /cosigned the checkpoint at length (\d+)/.exec(report.breach?.message ?? '')
  assert.ok(cited && cosigned.includes(Number(cited[1])), `${report.breach?.message} cites a checkpoint the monitor cosigned (${cosigned.join(', ')})`)
  assert.ok(Number(cited[1]) >= claimed.length)

  // Within the allowance, the same clocks are no breach.
  const db2 = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db2.close())
  await send1(db2, 'increment', {}, 'alice', true)
  const m2 = await db2.monitor()
  const c2 = await Claimer.attach(m2, await claimsLog(t), db2.key, db2.signer, { now: () => Date.now() + 10_000, clockSkewMs: 60_000 })
  await verifyThrough(m2, db2)
  await c2.settled()
  await send1(db2, 'increment', {}, 'alice', true)
  assert.equal((await verifyThrough(m2, db2)).valid, true)
  // And a remote monitor, which may receive entries acknowledged before it cosigned, anchors nothing.
  const m3 = await db2.monitor()
  const c3 = await Claimer.attach(m3, await claimsLog(t), db2.key, db2.signer, { now: () => Date.now() + 600_000, anchorTime: false })
  await verifyThrough(m3, db2)
  await c3.settled()
  await send1(db2, 'increment', {}, 'alice', true)
  assert.equal((await verifyThrough(m3, db2)).valid, true)
  // Its checkpoint text is the executor's: the cosignature is over what the seal signed.
  const cp = await db2.checkpoint()
  const last = (await c2.log.last()) as Claim
  if (last.length === cp.size) assert.equal(claimCheckpointText(last), parseNote(cp.note).text)
})

test('the claim vector of docs/protocol.md §11.1 comes out byte for byte, and checks', async () => {
  const { readFile } = await import('node:fs/promises')
  const sodium = (await import('sodium-native')).default
  const { cosignedNote, signClaim } = await import('../src/claims/claim.js')
  const v = JSON.parse(await readFile(new URL('../../test/vectors/claim.json', import.meta.url), 'utf8')) as { monitorSeed: string; claim: Claim; cosignedNote: string }
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(v.monitorSeed, 'hex'))
  const { cosignature: _c, signature: _s, ...body } = v.claim
  assert.deepEqual(signClaim(body, secretKey), v.claim)
  assert.equal(cosignedNote(v.claim), v.cosignedNote)
  assert.deepEqual(checkClaim(v.claim), v.claim)
  assert.equal(executorSigned(v.claim), true)
  // The cosigned checkpoint is the seal vector's, so witness tooling sees one checkpoint.
  const seal = JSON.parse(await readFile(new URL('../../test/vectors/seal-checkpoint.json', import.meta.url), 'utf8')) as { note: string }
  assert.equal(parseNote(v.cosignedNote).text, parseNote(seal.note).text)
})

test('an executor that serves a stale checkpoint, or one without a valid consistency proof, is caught', async (t) => {
  const { db, monitor, claimer } = await claimedCounter(t)
  const api = await serving(t, { db, monitor, claims: claimer.log, port: 0, token: null })
  const staleAnswer = await (await fetch(`${api.url}/v1/checkpoint`)).text()

  // A proxy in front of the executor's API that can lie about checkpoints and proofs.
  let lie: 'none' | 'stale' | 'proof' = 'none'
  const { createServer } = await import('node:http')
  const proxy = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/'
      let body = await (await fetch(`${api.url}${url}`)).text()
      if (lie === 'stale' && url === '/v1/checkpoint') body = staleAnswer
      if (lie === 'proof' && url.startsWith('/v1/checkpoint?consistency=')) {
        const answer = JSON.parse(body) as { proof: { hashes: string[] } }
        answer.proof.hashes[0] = Buffer.alloc(32, 7).toString('base64')
        body = JSON.stringify(answer)
      }
      res.setHeader('content-type', 'application/json')
      res.end(body)
    })()
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.after(() => proxy.close())
  const executor = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
  const light = new LightClient(checkTrustFile({ format: TRUST_FORMAT, database: db.key, executor, threshold: 1, monitors: [{ key: claimer.log.monitor, weight: 1, url: api.url }] }))
  const first = await light.sync()
  assert.equal(first.trusted, true)

  // Once it has seen a newer checkpoint, the old one is stale.
  await send1(db, 'increment', {}, 'alice', true)
  await verifyThrough(monitor, db)
  await claimer.settled()
  assert.equal((await light.sync()).trusted, true)
  lie = 'stale'
  const stale = await light.sync()
  assert.equal(stale.checkpoint, null)
  assert.match(stale.checkpointError ?? '', /behind the one at/)
  assert.equal(stale.trusted, false)

  // A newer checkpoint whose consistency proof does not hold is a split view.
  await send1(db, 'increment', {}, 'alice', true)
  await verifyThrough(monitor, db)
  await claimer.settled()
  lie = 'proof'
  const split = await light.sync()
  assert.match(split.checkpointError ?? '', /does not provably extend/)
  assert.equal(split.trusted, false)

  lie = 'none'
  const honest = await light.sync()
  assert.equal(honest.checkpointError, null)
  assert.equal(honest.checkpoint?.length, (await db.checkpoint()).size)
  assert.equal(honest.trusted, true)
})

test('when claims fall short, the light client re-executes the range itself: an honest log checks, a tampered one is refuted', async (t) => {
  const { withDishonest } = await import('./helpers/dishonest-executor.js')
  const { checkEvidence, EVIDENCE_FORMAT } = await import('../src/claims/evidence.js')
  const { EMPTY_ROOT } = await import('../src/state/auth/node-hash.js')
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  await send1(db, 'increment', {}, 'alice', true)
  await send1(db, 'increment', { by: 2 }, 'alice', true)
  const api = await serving(t, { db, port: 0, token: null })
  const gone = await startHttpApi({ db, port: 0, token: null })
  await gone.close()
  const trust = (threshold: number, monitors: TrustFile['monitors']) => checkTrustFile({ format: TRUST_FORMAT, database: db.key, executor: api.url, threshold, monitors })
  const silent = [{ key: '33'.repeat(32), weight: 1, url: gone.url }]

  assert.equal((await new LightClient(trust(1, silent)).sync()).trusted, false, 'no claim, no re-execution: not trusted')
  const light = new LightClient(trust(1, silent), { reexecute: 100 })
  const view = await light.sync()
  const cp = await db.checkpoint()
  assert.equal(view.reexecuteError, null)
  assert.deepEqual(view.reexecuted && { to: view.reexecuted.to, root: view.reexecuted.stateRoot, genesis: view.reexecuted.fromGenesis }, { to: cp.size, root: cp.stateRoot, genesis: true })
  assert.equal(view.trusted, true)
  const read = await light.read('/count')
  assert.equal(read.value, 3)
  assert.equal(read.guarantee.trusted, true)
  assert.match(read.guarantee.statement, /re-executed entries \d+\.\.\d+ itself, from the genesis seal/)
  assert.equal((await new LightClient(trust(1, silent), { reexecute: 2 }).sync()).trusted, false, 'more entries than the limit: not re-executed')

  // The executor rewrites its last op (and re-signs the seals), and a monitor vouches for the result.
  const dir = db.dir
  await api.close()
  await db.close()
  await withDishonest(dir, async (x) => {
    let at = x.index.length - 1
    while ((await x.entry(at)).type !== 'op') at--
    await x.tamperOp(at, (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
    await x.reseal(at + 1)
  })
  const forged = await Database.load(dir, { execute: false })
  t.after(() => forged.close())
  const forgedApi = await serving(t, { db: forged, port: 0, token: null })
  const forgedCp = await forged.checkpoint()
  const accomplice = await claimsLog(t)
  await accomplice.append({ ...bodyOf(forged, forgedCp, { length: 0, stateRoot: Buffer.from(EMPTY_ROOT).toString('hex') }) })
  const accompliceApi = await serving(t, { db: forged, claims: accomplice, port: 0, token: null })
  const victim = new LightClient(
    checkTrustFile({ format: TRUST_FORMAT, database: forged.key, executor: forgedApi.url, threshold: 2, monitors: [{ key: accomplice.monitor, weight: 1, url: accompliceApi.url }] }),
    { reexecute: 100 },
  )
  const refuted = await victim.sync()
  assert.equal(refuted.trusted, false)
  assert.match(refuted.reexecuteError ?? '', /breaks the contract/)
  const accusation = refuted.accusations.find((a) => a.monitor === accomplice.monitor)
  assert.equal(accusation?.kind, 'refuted')
  const verdicts = await checkEvidence(JSON.parse(JSON.stringify({ format: EVIDENCE_FORMAT, database: forged.key, accusations: refuted.accusations })), forged.key)
  assert.deepEqual(verdicts.map((v) => v.proven), [true])
  // The forged log's own reads do not even hold together: the value it folds is not the root it sealed.
  await assert.rejects(victim.read('/count'), (err: Error & { code?: string }) => err.code === 'LIGHT_BAD_ANSWER')
})

test('a proof of execution that was cut, reordered, re-anchored or is of another database does not hold', async (t) => {
  const { checkExecutionRange } = await import('../src/claims/range-check.js')
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db.close())
  for (let i = 0; i < 3; i++) await send1(db, 'increment', {}, 'alice', true)
  const cp = await db.checkpoint()
  const answer = await db.executionProof(0, cp.size)
  assert.ok(answer.range, answer.reason ?? '')
  const good = JSON.parse(JSON.stringify(answer.range)) as NonNullable<typeof answer.range>
  const ok = await checkExecutionRange(good, db.key)
  assert.ok(ok.valid && ok.toRoot === cp.stateRoot && ok.to === cp.size)
  const ops = good.steps.filter((s) => s.kind === 'op').length
  assert.equal(ops, 3)

  const clone = () => JSON.parse(JSON.stringify(good)) as typeof good
  const cut = clone()
  cut.steps.pop()
  const cutVerdict = await checkExecutionRange(cut, db.key)
  assert.ok(!cutVerdict.valid && /steps end at/.test(cutVerdict.reason))
  const reordered = clone()
  const opIndexes = reordered.steps.map((s, i) => (s.kind === 'op' ? i : -1)).filter((i) => i >= 0)
  ;[reordered.steps[opIndexes[0]], reordered.steps[opIndexes[1]]] = [reordered.steps[opIndexes[1]], reordered.steps[opIndexes[0]]]
  assert.equal((await checkExecutionRange(reordered, db.key)).valid, false)
  // The same steps under an earlier seal of the same log: they are not all in the log it signs.
  const firstSeal = good.from + good.steps.findIndex((s) => s.kind === 'seal')
  const earlier = await db.executionProof(0, firstSeal)
  assert.ok(earlier.range)
  const reanchored = clone()
  reanchored.anchor = earlier.range.anchor
  assert.equal((await checkExecutionRange(reanchored, db.key)).valid, false)
  assert.equal((await checkExecutionRange(good, '99'.repeat(32))).valid, false)
  await assert.rejects(db.executionProof(0, cp.size - 1), /not a seal/)
  await assert.rejects(db.executionProof(5, 3), /no range/)
})

test('claims that show the executor signed two checkpoints of one length are evidence of a fork', async (t) => {
  const { withDishonest } = await import('./helpers/dishonest-executor.js')
  const { checkEvidence, EVIDENCE_FORMAT } = await import('../src/claims/evidence.js')
  const { EMPTY_ROOT } = await import('../src/state/auth/node-hash.js')
  const { rootOfPeaks } = await import('../src/log/accumulator.js')
  const created = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  await send1(created, 'increment', {}, 'alice', true)
  const cp = await created.checkpoint()
  const dir = created.dir
  await created.close()
  // The executor signs a second seal for the same length, with another state root.
  const forked = await withDishonest(dir, async (x) => {
    const seal = (await x.entry(cp.size)) as import('../src/codec/messages.js').SealEntry
    return x.sign({ ...seal, stateRoot: new Uint8Array(32).fill(5) })
  })
  const db = await Database.load(dir)
  t.after(() => db.close())
  const genesis = { length: 0, stateRoot: Buffer.from(EMPTY_ROOT).toString('hex') }
  const one = await claimsLog(t)
  await one.append(bodyOf(db, cp, genesis))
  const two = await claimsLog(t)
  await two.append({
    ...bodyOf(db, cp, genesis),
    stateRoot: Buffer.from(forked.stateRoot).toString('hex'),
    entriesRoot: Buffer.from(rootOfPeaks(forked.peaks)).toString('hex'),
    sealSignature: Buffer.from(forked.signature).toString('hex'),
  })
  const executorApi = await serving(t, { db, port: 0, token: null })
  const oneApi = await serving(t, { db, claims: one, port: 0, token: null })
  const twoApi = await serving(t, { db, claims: two, port: 0, token: null })
  const view = await new LightClient(
    checkTrustFile({
      format: TRUST_FORMAT,
      database: db.key,
      executor: executorApi.url,
      threshold: 1,
      monitors: [
        { key: one.monitor, weight: 1, url: oneApi.url },
        { key: two.monitor, weight: 1, url: twoApi.url },
      ],
    }),
  ).sync()
  assert.equal(view.trusted, false)
  assert.equal(view.conflicts.length, 1)
  assert.equal(view.conflicts[0].length, 2)
  const fork = view.accusations.find((a) => a.kind === 'executor-fork')
  assert.ok(fork)
  assert.equal(fork.monitor, db.signer)
  const verdicts = await checkEvidence(JSON.parse(JSON.stringify({ format: EVIDENCE_FORMAT, database: db.key, accusations: [fork] })), db.key)
  assert.deepEqual(verdicts.map((v) => [v.kind, v.proven]), [['executor-fork', true]])
  // Neither monitor is blamed: each claimed a checkpoint the executor did sign.
  assert.ok(!view.accusations.some((a) => a.monitor === one.monitor || a.monitor === two.monitor))
})
