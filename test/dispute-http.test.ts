// Disputes across the network (docs/protocol.md §13): a server defends the roots its executor signed
// at /v1/disputes; `glassbox dispute` challenges them from a replica fetched over a loopback DHT, and
// `glassbox judge` decides the transcript alone. Real processes, sockets and logs.

import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { Database } from '../src/index.js'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import { startHttpApi } from '../src/net/http/server.js'
import { verifyRemote } from '../src/net/remote-monitor.js'
import { HttpParty } from '../src/dispute/http-party.js'
import { DisputeError } from '../src/dispute/messages.js'
import type { DisputeTranscript } from '../src/dispute/transcript.js'
import { glassbox } from './helpers/cli.js'
import { joinDatabase } from '../src/participant/join.js'
import { LightClient } from '../src/claims/light-client.js'
import type { TrustFile } from '../src/claims/trust-file.js'
import { tempDir } from './helpers/databases.js'
import { AT, GENESIS_LENGTH, history, keyPair, lie, lieFrom } from './helpers/disputes.js'
import { LocalParty } from '../src/dispute/party.js'
import { SignedRoots } from '../src/dispute/roots.js'
import { LogStore } from '../src/log/store.js'
import { signedSealAt } from '../src/log/sealed-entry.js'
import { signerOf } from '../src/log/seal.js'

let dht: BootstrapNodes
before(async () => {
  dht = await startBootstrapNodes()
})
after(async () => {
  await dht.close()
})

/** Serves `dir` (HTTP and the swarm) and makes a replica of it over the DHT; returns both. */
async function servedWithReplica(t: TestContext, dir: string): Promise<{ url: string; replica: string; key: string }> {
  const db = await Database.load(dir, { network: { bootstrap: dht.bootstrap, announce: true } })
  t.after(() => db.close())
  const api = await startHttpApi({ db, port: 0, token: null })
  t.after(() => api.close())
  const replica = await tempDir(t)
  await verifyRemote(replica, db.key, { bootstrap: dht.bootstrap, timeoutMs: 20_000 })
  return { url: api.url, replica, key: db.key }
}

test('glassbox dispute: a replica challenges the root a lying executor signed, and judge decides the transcript alone', async (t) => {
  const dir = await history(t)
  await lieFrom(dir, AT.admit, (e) => [...e.changes, { type: 'put', key: '/forged', value: true }])
  const { url, replica, key } = await servedWithReplica(t, dir)
  const cwd = await tempDir(t)
  const out = path.join(cwd, 'dispute.json')

  const run = await glassbox(['dispute', url, '--dir', replica, '--out', out], cwd)
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(`^dispute decided: the defender \\(.*\\) was wrong at entry ${AT.admit}, in \\d+ round\\(s\\) \\(bound \\d+\\)`))
  assert.match(run.stderr, /round 1: disputed range now/)
  const transcript = JSON.parse(await readFile(out, 'utf8')) as DisputeTranscript
  assert.equal(transcript.open.database, key)
  assert.equal(transcript.open.from, GENESIS_LENGTH)

  const judged = await glassbox(['judge', out, '--key', key, '--json'], cwd)
  assert.equal(judged.code, 0, judged.stderr)
  const verdict = JSON.parse(judged.stdout)
  assert.equal(verdict.verdict, 'decided')
  assert.equal(verdict.wrong, 'defender')
  assert.equal(verdict.at, AT.admit)
  // The same transcript about another database is not one the judge decides.
  const other = await glassbox(['judge', out, '--key', 'ab'.repeat(32)], cwd)
  assert.equal(other.code, 2)
  assert.match(other.stderr, /malformed dispute transcript: .*about database/)
})

test('the server refuses what it did not sign and moves the rules do not allow; dispute says why and exits 2', async (t) => {
  const dir = await history(t)
  const { url, replica, key } = await servedWithReplica(t, dir)
  const cwd = await tempDir(t)
  // An honest executor: the replica re-executes to the very root it signed.
  const none = await glassbox(['dispute', url, '--dir', replica], cwd)
  assert.equal(none.code, 2, none.stdout)
  assert.match(none.stderr, /NO_DISPUTE|nothing to dispute/)

  const server = await HttpParty.connect(url)
  const store = new LogStore(replica)
  await store.ready()
  t.after(() => store.close())
  const logs = { index: await store.byPubkey(key), oplog: (pubkey: string) => store.byPubkey(pubkey) }
  const length = logs.index.length - 1
  const anchor = await signedSealAt(logs.index, length, signerOf(logs.index))
  const liar = new LocalParty(keyPair(), () => new SignedRoots(logs))
  const signed = await new SignedRoots(logs).rootAt(length)
  const openWith = (toRoot: string) =>
    liar.challenge({ database: key, anchor, from: GENESIS_LENGTH, to: length, toRoot, defender: server.key, deadline: 10_000 })
  // A root the executor never signed: the server does not defend it.
  const open = await openWith(lie(signed))
  await assert.rejects(server.accept(open), (err: DisputeError) => err.code === 'NOT_MY_ROOT' && /does not defend that root/.test(err.message))
  // An open altered after it was signed.
  await assert.rejects(server.accept({ ...open, to: length - 1 }), (err: DisputeError) => err.code === 'DISPUTE_MESSAGE' && /not signed by its challenger/.test(err.message))
  // Moves in a dispute the server never took up.
  await assert.rejects(server.root({ dispute: 'ab'.repeat(32), previous: 'ab'.repeat(32), round: 1, length: 10 }), (err: DisputeError) => err.code === 'NO_SUCH_DISPUTE')
})

test('a light client referees a monitor against the executor and learns its checkpoint root is wrong, without the logs', async (t) => {
  const dir = await history(t)
  await lieFrom(dir, AT.upgrade, (e) => e.changes.map((c) => (c.type === 'put' && c.key === '.sys/contract/source' ? { ...c, value: `${c.value}\n// not what the op installs` } : c)))
  const db = await Database.load(dir, { network: { bootstrap: dht.bootstrap, announce: true } })
  t.after(() => db.close())
  const executor = await startHttpApi({ db, port: 0, token: null })
  t.after(() => executor.close())
  // A monitor in a directory of its own (its own key): it fetched and verified the logs (and found
  // the breach), then serves them.
  const mine = await tempDir(t)
  const report = await verifyRemote(mine, db.key, { bootstrap: dht.bootstrap, timeoutMs: 20_000 })
  assert.equal(report.breach?.seq, AT.upgrade)
  await joinDatabase(mine, db.key)
  const replica = await Database.load(mine)
  t.after(() => replica.close())
  assert.equal(replica.length, db.length)
  const monitor = await startHttpApi({ db: replica, port: 0, token: null })
  t.after(() => monitor.close())

  const monitorKey = (await HttpParty.connect(monitor.url)).key
  const trust: TrustFile = { format: 'glassbox-trust/1', database: db.key, executor: executor.url, threshold: 1, monitors: [{ key: monitorKey, weight: 1, url: monitor.url }] }
  const light = new LightClient(trust)
  const settled = await light.dispute(monitor.url)
  assert.equal(settled.checkpoint.length, db.length - 1)
  assert.equal(settled.verdict.verdict, 'decided', JSON.stringify(settled.verdict))
  if (settled.verdict.verdict === 'decided') {
    assert.equal(settled.verdict.wrong, 'defender')
    assert.equal(settled.verdict.at, AT.upgrade)
    assert.ok(settled.verdict.rounds <= settled.verdict.bound)
  }

  // The same through the CLI, with the transcript for anyone to judge.
  const cwd = await tempDir(t)
  await writeFile(path.join(cwd, 'trust.json'), JSON.stringify(trust))
  const run = await glassbox(['light', 'dispute', '--trust', 'trust.json', '--challenger', monitor.url, '--out', 'dispute.json'], cwd)
  assert.equal(run.code, 1, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(`the defender \\(.*\\) was wrong at entry ${AT.upgrade}`))
  const judged = await glassbox(['judge', 'dispute.json', '--key', db.key], cwd)
  assert.equal(judged.code, 0, judged.stderr)

  // A monitor whose replay reaches the executor's root refuses to challenge it.
  const honestDir = await history(t)
  const honest = await Database.load(honestDir)
  t.after(() => honest.close())
  const honestApi = await startHttpApi({ db: honest, port: 0, token: null })
  t.after(() => honestApi.close())
  const party = await HttpParty.connect(honestApi.url)
  const root = await new SignedRoots({ index: (honest as unknown as { index: never }).index, oplog: () => Promise.reject(new Error('unused')) }).rootAt(honest.length - 1)
  await assert.rejects(party.challenge({ defender: 'ab'.repeat(32), toRoot: root }), (err: DisputeError) => err.code === 'NO_DISPUTE')
})
