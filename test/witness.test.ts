// A claiming monitor as a C2SP witness (POST /add-checkpoint, docs/protocol.md §11.2): it cosigns
// the executor's checkpoint only once it has replayed the log through it, checks the consistency
// proof from the last checkpoint it cosigned, and answers bad requests with the spec's statuses.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Claimer } from '../src/claims/claimer.js'
import { ClaimsLog } from '../src/claims/claims-log.js'
import { monitorCosignerKey, type Claim } from '../src/claims/claim.js'
import { parseNote, signaturesBy, verifyCosignature } from '../src/codec/signed-note.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { startHttpApi } from '../src/net/http/server.js'
import { example, send1, steppedMonitor, tempDir } from './helpers/databases.js'

test('POST /add-checkpoint cosigns only what the monitor replayed, and refuses the rest as the spec says', async (t) => {
  const db = await Database.create(await tempDir(t), { contract: await example('counter'), oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'increment', {}, 'alice', true)
  // A monitor that verifies only when told to, so each claim comes when the test says.
  const monitor = await steppedMonitor(t, db)
  const store = new LogStore(await tempDir(t))
  await store.ready()
  t.after(() => store.close())
  const claimer = await Claimer.attach(monitor, new ClaimsLog(await store.localClaims()), db.key, db.signer)
  await monitor.verifyToHead()
  await claimer.settled()
  const first = (await claimer.log.last()) as Claim
  const cp1 = await db.checkpoint()
  assert.equal(first.length, cp1.size)

  const api = await startHttpApi({ db, monitor, claims: claimer.log, port: 0, token: null })
  t.after(() => api.close())
  const post = async (body: string) => {
    const res = await fetch(`${api.url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body })
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
  }
  const request = (old: number, proof: string[], note: string) => `old ${old}\n${proof.map((h) => `${h}\n`).join('')}\n${note}`
  const cosigned = (note: string, line: string) => {
    const key = monitorCosignerKey(claimer.log.monitor)
    const parsed = parseNote(note.trimEnd() + '\n' + line)
    const [sig] = signaturesBy(parsed, key)
    return sig ? verifyCosignature(parsed.text, sig, key) : null
  }

  // A client that does not know the witness's size learns it from the 409.
  const unknown = await post(request(0, [], cp1.note))
  assert.equal(unknown.status, 409)
  assert.match(unknown.type, /^text\/x\.tlog\.size/)
  assert.equal(unknown.body, `${first.length}\n`)

  const same = await post(request(first.length, [], cp1.note))
  assert.equal(same.status, 200, same.body)
  assert.equal(cosigned(cp1.note, same.body), first.time)

  // The executor moves on; the witness answers once its monitor has replayed that far.
  await send1(db, 'increment', {}, 'alice', true)
  const cp2 = await db.checkpoint()
  const proof = (await db.accumulatorProof({ consistency: first.length, size: cp2.size })).hashes
  const flipped = [Buffer.alloc(32, 1).toString('base64'), ...proof.slice(1)]
  const bad = await post(request(first.length, flipped, cp2.note))
  assert.equal(bad.status, 422, bad.body)
  const pending = post(request(first.length, proof, cp2.note))
  await monitor.verifyToHead()
  await claimer.settled()
  const answered = await pending
  assert.equal(answered.status, 200, answered.body)
  const second = (await claimer.log.last()) as Claim
  assert.equal(second.length, cp2.size)
  assert.equal(cosigned(cp2.note, answered.body), second.time)

  // Bad requests: another log, no executor signature, a size going backwards, garbage.
  const otherOrigin = cp2.note.replace(/^glassbox\/[0-9a-f]{64}/, `glassbox/${'77'.repeat(32)}`)
  assert.equal((await post(request(second.length, [], otherOrigin))).status, 404)
  const unsigned = cp2.note.replace(/ [A-Za-z0-9+/=]+\n$/, ` ${Buffer.alloc(68, 3).toString('base64')}\n`)
  assert.equal((await post(request(second.length, [], unsigned))).status, 403)
  assert.equal((await post(request(cp2.size + 5, [], cp2.note))).status, 400)
  assert.equal((await post('hello')).status, 400)
  assert.equal((await post(request(second.length, ['not base64!'], cp2.note))).status, 400)

  // A server whose monitor makes no claims is no witness.
  const plain = await startHttpApi({ db, port: 0, token: null })
  t.after(() => plain.close())
  const res = await fetch(`${plain.url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: request(0, [], cp2.note) })
  assert.equal(res.status, 503)
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NO_CLAIMS')
})
