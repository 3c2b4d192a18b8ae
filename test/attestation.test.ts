// Executor attestations (docs/protocol.md §15): an attestation holds only for the database, executor
// key and runtime it binds, with evidence its verifier accepts; every change to it, an untrusted or
// unknown attester, or a binding of another key is refused by name. The only attester here is the
// software test one, and everything that shows its attestations says it is not a TEE.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import sodium from 'sodium-native'
import { AttestationError, verifyAttestation, type Attestation } from '../src/attest/attestation.js'
import { bindingFor, SoftwareTestVerifier, softwareTestAttest } from '../src/attest/software-test.js'
import { toHex } from '../src/codec/hash.js'
import { Database } from '../src/index.js'
import { startHttpApi } from '../src/net/http/server.js'
import { RUNTIME_ID } from '../src/vm/runtime-id.js'
import { glassbox } from './helpers/cli.js'
import { example, tempDir } from './helpers/databases.js'

function keyPair() {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return { publicKey: toHex(publicKey), secretKey }
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

test('a software test attestation holds for its binding only, and says it is no TEE', async (t) => {
  const db = await Database.create(await tempDir(t), { contract: await example('counter') })
  t.after(() => db.close())
  const { key, signer } = await db.info()
  const attester = keyPair()
  const verifiers = [new SoftwareTestVerifier([attester.publicKey])]
  const good = softwareTestAttest(bindingFor(key, signer), attester.secretKey)
  const ok = await verifyAttestation(good, { database: key, executor: signer, runtime: RUNTIME_ID }, verifiers)
  assert.deepEqual([ok.kind, ok.tee, ok.attester, ok.binding.executor], ['software-test', false, attester.publicKey, signer])
  assert.match(JSON.parse(good.evidence).note, /not a TEE/)

  const refused = async (a: unknown, code: string, message: RegExp, expected: { database: string; executor?: string; runtime?: string } = { database: key }, vs = verifiers) => {
    const err = await verifyAttestation(a, expected, vs).then(
      () => assert.fail(`accepted: expected ${code}`),
      (e: unknown) => e,
    )
    assert.ok(err instanceof AttestationError, String(err))
    assert.equal(err.code, code, err.message)
    assert.match(err.message, message)
  }
  // Changes to what it binds, each caught.
  const otherRuntime = clone(good)
  otherRuntime.binding.runtime = 'glassbox-vm/0 something else'
  await refused(otherRuntime, 'ATTESTATION_INVALID', /report data is not the hash of its binding/)
  const rebound: Attestation = softwareTestAttest({ ...good.binding, runtime: 'glassbox-vm/0 something else' }, attester.secretKey)
  rebound.evidence = good.evidence
  await refused(rebound, 'ATTESTATION_INVALID', /measurement is not the one of the runtime it binds/)
  const resigned = clone(good)
  const evidence = JSON.parse(resigned.evidence)
  evidence.signature = evidence.signature.replace(/^./, (c: string) => (c === '0' ? '1' : '0'))
  resigned.evidence = JSON.stringify(evidence)
  await refused(resigned, 'ATTESTATION_INVALID', /signature does not hold/)
  await refused(good, 'ATTESTATION_OTHER_RUNTIME', /not "another"/, { database: key, runtime: 'another' })

  // Another database, another executor key, an attester nobody trusts, a kind nobody checks.
  const other = await Database.create(await tempDir(t), { contract: await example('counter') })
  t.after(() => other.close())
  const otherInfo = await other.info()
  await refused(good, 'ATTESTATION_OTHER_DATABASE', /about database/, { database: otherInfo.key })
  await refused(softwareTestAttest(bindingFor(key, otherInfo.signer), attester.secretKey), 'ATTESTATION_OTHER_EXECUTOR', /not the key database .* is derived from/)
  await refused(good, 'ATTESTATION_UNTRUSTED', /not one of the trusted/, { database: key }, [new SoftwareTestVerifier([keyPair().publicKey])])
  await refused({ ...good, kind: 'acme-tee-quote' }, 'ATTESTATION_UNCHECKED', /no verifier of kind "acme-tee-quote"/)
  // Not an attestation at all.
  await refused(null, 'ATTESTATION_MALFORMED', /wrong or missing format/)
  await refused({ ...good, binding: { database: key } }, 'ATTESTATION_MALFORMED', /binding needs/)
  await refused({ ...good, evidence: '{' }, 'ATTESTATION_MALFORMED', /not JSON/)
})

test('glassbox attest publishes one that serve --http serves, and attest verify checks a file or a server', async (t) => {
  const dir = await tempDir(t)
  const created = await Database.create(dir, { contract: await example('counter') })
  const { key } = await created.info()
  const none = await startHttpApi({ db: created, port: 0, token: null })
  assert.equal((await fetch(`${none.url}/v1/attestation`)).status, 404, 'none published yet')
  await none.close()
  await created.close()

  const keyFile = path.join(await tempDir(t), 'attester.key')
  const made = await glassbox(['attest', '--test-attester', keyFile, '--dir', dir, '--json'], dir)
  assert.equal(made.code, 0, made.stderr)
  const out = JSON.parse(made.stdout) as { file: string; attester: string; created: boolean; tee: boolean }
  assert.deepEqual([out.created, out.tee], [true, false])
  const again = await glassbox(['attest', '--test-attester', keyFile, '--dir', dir], dir)
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /NOT a TEE/)
  assert.doesNotMatch(again.stdout, /new key/, 'the key file is reused')

  const db = await Database.load(dir)
  t.after(() => db.close())
  const api = await startHttpApi({ db, port: 0, token: null })
  t.after(() => api.close())
  const served = (await (await fetch(`${api.url}/v1/attestation`)).json()) as Attestation
  assert.deepEqual(served, JSON.parse(await readFile(out.file, 'utf8')))
  for (const source of [out.file, api.url]) {
    const run = await glassbox(['attest', 'verify', source, '--database', key, '--attester', out.attester], dir)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /attestation holds: .*software-test attester/)
    assert.match(run.stdout, /NOT a TEE/)
  }
  const untrusted = await glassbox(['attest', 'verify', out.file, '--database', key, '--attester', keyPair().publicKey, '--json'], dir)
  assert.equal(untrusted.code, 1)
  assert.equal(JSON.parse(untrusted.stdout).code, 'ATTESTATION_UNTRUSTED')
  for (const [args, message] of [
    [['attest', '--dir', dir], /needs --test-attester/],
    [['attest', 'verify', out.file, '--attester', out.attester], /needs --database/],
    [['attest', 'verify', out.file, '--database', key], /needs --attester/],
  ] as const) {
    const r = await glassbox([...args], dir)
    assert.equal(r.code, 2)
    assert.match(r.stderr, message)
  }
})
