// A confidential database across peers on a private loopback DHT: a participant joins from its own
// directory, is refused until a member makes its oplog an input, is then let in by a new epoch and
// writes sealed ops; a peer that is never let in replicates the logs and checks every seal.

import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { confidentialSettings } from '../src/confidential/open.js'
import { checkSeals } from '../src/confidential/seal-check.js'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { replicateDatabase } from '../src/net/replicate-database.js'
import { joinDatabase } from '../src/participant/join.js'
import { checkRemoteSeals } from '../src/net/remote-seals.js'
import { verifyRemote } from '../src/net/remote-monitor.js'
import { toHex } from '../src/codec/hash.js'
import sodium from 'sodium-native'
import { example, send1, tempDir } from './helpers/databases.js'
import { glassbox } from './helpers/cli.js'
import { localDht } from './helpers/network.js'

const dht = localDht()

const net = () => ({ bootstrap: dht.bootstrap, timeoutMs: 20_000 })
const SECRET = 'the-remote-secret-4471'

test('a remote participant of a confidential database is let in by a new epoch and writes sealed ops; a peer never let in checks the seals only', async (t) => {
  const execDir = await tempDir(t)
  const auditor = keyPair()
  await (await Database.create(execDir, { contract: await example('kv-store'), confidential: { readers: [toHex(auditor.publicKey)] } })).close()
  const executor = await Database.load(execDir, { network: { ...net(), announce: true } })
  t.after(() => executor.close())
  await send1(executor, 'claimAdmin', {}, undefined, true)

  const partDir = await tempDir(t)
  const joined = await joinDatabase(partDir, executor.key)
  await assert.rejects(Database.load(partDir, { network: net(), membershipTimeoutMs: 0 }), { code: 'NOT_A_MEMBER' })
  await send1(executor, 'addParticipant', { pubkey: joined.oplog.pubkey }, undefined, true)
  const epochsBefore = (await executor.info()).confidential!.epoch

  // Online, the participant waits until the executor has its oplog's signer and seals an epoch to it.
  const participant = await Database.load(partDir, { network: net() })
  t.after(() => participant.close())
  const info = await participant.info()
  assert.equal(info.confidential?.member, true)
  assert.ok(info.confidential!.epoch > epochsBefore, 'a new epoch let it in')
  const [put] = await (await participant.call('put', { key: 'remote', value: SECRET })).whenProcessed()
  assert.equal(put.success, true, put.error ?? '')
  await executor.settled()
  assert.deepEqual(executor.get('/values/remote'), { key: '/values/remote', value: SECRET })

  // A peer that joined but was never let in: it replicates the sealed logs and checks every seal.
  const outDir = await tempDir(t)
  await joinDatabase(outDir, executor.key)
  await assert.rejects(Database.load(outDir, { network: net(), membershipTimeoutMs: 0 }), { code: 'NOT_A_MEMBER' })
  const logs = new LogStore(outDir)
  await logs.ready()
  t.after(() => logs.close())
  const index = await logs.byPubkey(executor.key)
  const { replicator } = await replicateDatabase(logs, index, net())
  t.after(() => replicator.close())
  const length = executor.length
  while (index.length < length) await index.update({ wait: true })
  await index.download({ start: 0, end: length }).done()
  const settings = (await confidentialSettings(index, { wait: true }))!
  const keysLog = await logs.byPubkey(settings.keys)
  await keysLog.update({ wait: true })
  await keysLog.download({ start: 0, end: keysLog.length }).done()
  const report = await checkSeals(index, settings, keysLog)
  assert.equal(report.problem, null)
  assert.ok(report.seals >= 4 && report.sealedEntries >= 4, JSON.stringify(report))
  assert.equal(report.epochs, keysLog.length)
  for (let i = 0; i < length; i++) assert.ok(!(await index.get(i))!.includes(SECRET), 'no entry reads in the clear')

  // The same from the command's functions: seals only without a key, in full with the reader's, refused with none.
  const seals = await checkRemoteSeals(await tempDir(t), executor.key, net())
  assert.equal(seals.problem, null)
  assert.equal(seals.length, length)
  const full = await verifyRemote(await tempDir(t), executor.key, { ...net(), readerKey: auditor.secretKey })
  assert.equal(full.valid, true, JSON.stringify(full.breach))
  assert.equal(full.verified, length)
  await assert.rejects(verifyRemote(await tempDir(t), executor.key, net()), { code: 'NOT_A_MEMBER' })

  // And from the command line, as a monitor on another machine would run it.
  const cwd = await tempDir(t)
  const keyFile = path.join(cwd, 'auditor.key')
  await writeFile(keyFile, JSON.stringify({ format: 'glassbox-key/1', publicKey: toHex(auditor.publicKey), secretKey: toHex(auditor.secretKey) }), { mode: 0o600 })
  const bootstrap = dht.flag()
  const sealsOnly = await glassbox(['verify', executor.key, '--seals-only', '--bootstrap', bootstrap, '--json'], cwd)
  assert.equal(sealsOnly.code, 0, sealsOnly.stderr)
  assert.equal(JSON.parse(sealsOnly.stdout).problem, null)
  const asReader = await glassbox(['verify', executor.key, '--reader-key', keyFile, '--bootstrap', bootstrap, '--json'], cwd)
  assert.equal(asReader.code, 0, asReader.stderr)
  assert.equal(JSON.parse(asReader.stdout).valid, true)
  const noKey = await glassbox(['verify', executor.key, '--bootstrap', bootstrap], cwd)
  assert.equal(noKey.code, 2)
  assert.match(noKey.stderr, /NOT_A_MEMBER|holds none of its keys/)
})

function keyPair(): { publicKey: Buffer; secretKey: Buffer } {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return { publicKey, secretKey }
}
