// `glassbox serve --http --claim`, `glassbox light` and `glassbox light check`, as real processes:
// a claiming server, a light client that reads through it with a guarantee, and evidence against a
// lying monitor that a third party confirms with the file and the database key alone.

import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { ClaimsLog } from '../src/claims/claims-log.js'
import { EVIDENCE_FORMAT } from '../src/claims/evidence.js'
import { parseNote, parseVerifierKey } from '../src/codec/signed-note.js'
import { LogStore } from '../src/log/store.js'
import { tempDir } from './helpers/databases.js'
import { glassbox, startServer } from './helpers/cli.js'
import { eventually } from './helpers/network.js'

test('a claiming server, a light client reading through it, and evidence against a liar checked alone', async (t) => {
  const cwd = await tempDir(t)
  const dir = path.join(cwd, 'db')
  assert.equal((await glassbox(['init', path.resolve('examples/counter.js'), '--dir', dir], cwd)).code, 0)
  assert.equal((await glassbox(['call', 'increment', '--dir', dir], cwd)).code, 0)

  const server = await startServer(dir, cwd, ['--http', '0', '--claim'])
  t.after(async () => {
    server.child.kill('SIGTERM')
    await server.exited
  })
  const url = (server.ready as unknown as { http: string }).http
  const cp = (await (await fetch(`${url}/v1/checkpoint`)).json()) as { checkpoint: { size: number; root: string; stateRoot: string; treeHash: string; positions: string; note: string; verifierKey: string } }
  let monitor = ''
  await eventually(async () => {
    const claims = (await (await fetch(`${url}/v1/claims`)).json()) as { monitor: string; claims: { length: number }[] }
    monitor = claims.monitor
    return claims.claims.at(-1)?.length === cp.checkpoint.size
  }, 'the server claimed its latest checkpoint')

  const trustFile = path.join(cwd, 'trust.json')
  await writeFile(trustFile, JSON.stringify({ format: 'glassbox-trust/1', database: server.ready.key, executor: url, threshold: 1, monitors: [{ key: monitor, weight: 1, url }] }))
  const status = await glassbox(['light', 'status', '--trust', trustFile, '--json'], cwd)
  assert.equal(status.code, 0, status.stderr)
  const view = JSON.parse(status.stdout)
  assert.equal(view.trusted, true)
  assert.equal(view.head.length, cp.checkpoint.size)
  const read = await glassbox(['light', 'get', '/count', '--trust', trustFile], cwd)
  assert.equal(read.code, 0, read.stderr)
  assert.match(read.stdout, /^1\ntrusted: either the state root at length \d+ is [0-9a-f]{64}, or monitors of total weight 1 signed a false claim/)

  // A liar's claim about a checkpoint the executor never signed is evidence on its own.
  const store = new LogStore(path.join(cwd, 'liar'))
  await store.ready()
  t.after(() => store.close())
  const liar = new ClaimsLog(await store.localClaims())
  const lie = await liar.append({
    database: server.ready.key,
    length: cp.checkpoint.size,
    previousLength: 0,
    previousStateRoot: '00'.repeat(32),
    entriesRoot: Buffer.from(cp.checkpoint.root, 'base64').toString('hex'),
    stateRoot: '55'.repeat(32),
    treeHash: cp.checkpoint.treeHash,
    positions: cp.checkpoint.positions,
    signer: Buffer.from(parseVerifierKey(cp.checkpoint.verifierKey).publicKey).toString('hex'),
    sealSignature: Buffer.from(parseNote(cp.checkpoint.note).signatures[0].signature).toString('hex'),
    time: Math.floor(Date.now() / 1000),
  })
  const evidence = path.join(cwd, 'evidence.json')
  await writeFile(evidence, JSON.stringify({ format: EVIDENCE_FORMAT, database: server.ready.key, accusations: [{ kind: 'false-claim', monitor: liar.monitor, reason: 'x', claim: lie }] }))
  const proven = await glassbox(['light', 'check', evidence, '--key', server.ready.key], cwd)
  assert.equal(proven.code, 0, proven.stderr)
  assert.match(proven.stdout, /^proven: false-claim by monitor/)
  // The same file against the honest claim of the server proves nothing: it is no false claim.
  const honest = ((await (await fetch(`${url}/v1/claims`)).json()) as { claims: unknown[] }).claims.at(-1)
  await writeFile(evidence, JSON.stringify({ format: EVIDENCE_FORMAT, database: server.ready.key, accusations: [{ kind: 'false-claim', monitor, reason: 'x', claim: honest }] }))
  const refused = await glassbox(['light', 'check', evidence, '--key', server.ready.key], cwd)
  assert.equal(refused.code, 1)
  assert.match(refused.stdout, /^NOT proven: .*the executor did sign/)

  const usage = await glassbox(['light', 'status'], cwd)
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /needs --trust FILE/)
  await writeFile(trustFile, JSON.stringify({ format: 'glassbox-trust/1', database: server.ready.key, executor: url, threshold: 0, monitors: [] }))
  const badTrust = await glassbox(['light', 'status', '--trust', trustFile], cwd)
  assert.equal(badTrust.code, 2)
  assert.match(badTrust.stderr, /threshold/)
})
