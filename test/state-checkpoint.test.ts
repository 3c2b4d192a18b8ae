// State checkpoints and chunk sync (docs/protocol.md §12): a checkpoint rebuilds exactly the state
// its seal signs, any change to it is refused with a reason, and a replica started from one ends at
// the same head and state root as a replay from genesis, falling back past sources that lie.

import assert from 'node:assert/strict'
import { after, before, test, type TestContext } from 'node:test'
import { Database } from '../src/index.js'
import { startBootstrapNodes, type BootstrapNodes } from '../src/net/dht-bootstrap.js'
import { startHttpApi, type HttpApi } from '../src/net/http/server.js'
import { syncDatabase } from '../src/net/state-sync.js'
import { checkpointsDir, listStateCheckpoints, readChunk, readManifest } from '../src/state/checkpoint/checkpoint-files.js'
import { access, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { checkManifest, openStateCheckpoint, type StateCheckpoint, type StateChunk } from '../src/state/checkpoint/state-checkpoint.js'
import { encodeEntry, decodeEntry, type SealEntry } from '../src/codec/messages.js'
import { signSeal } from '../src/log/seal.js'
import { defaultCheckpointPath, verifyDirectory } from '../src/verify/verify-dir.js'
import { verifyRemote } from '../src/net/remote-monitor.js'
import { judge } from '../src/verify/judge.js'
import { example, send1, tempDir } from './helpers/databases.js'
import { glassbox } from './helpers/cli.js'
import { withDishonest } from './helpers/dishonest-executor.js'
import { randomBytes } from 'node:crypto'
import sodium from 'sodium-native'

/** A kv database with `n` values put, by alice. */
async function kv(t: TestContext, n: number): Promise<Database> {
  const db = await Database.create(await tempDir(t), { contract: await example('kv-store'), oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await putValues(db, 0, n)
  return db
}

async function putValues(db: Database, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) await send1(db, 'put', { key: `k${String(i).padStart(4, '0')}`, value: { i, text: `value ${i}` } }, 'alice', true)
}

const open = (cp: StateCheckpoint, database: string) => openStateCheckpoint(cp.manifest, database, async (i) => cp.chunks[i])
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

test('a state checkpoint rebuilds the state its seal signs, chunk by chunk, at any chunk size', async (t) => {
  const db = await kv(t, 20)
  const checkpoint = await db.checkpoint()
  for (const size of [1, 3, 7, 1024]) {
    const cp = await db.stateCheckpoint(size)
    assert.equal(cp.manifest.length, checkpoint.size)
    assert.equal(cp.manifest.chunks, Math.max(1, Math.ceil(cp.manifest.keys / size)))
    const verified = await open(cp, db.key)
    assert.equal(Buffer.from(verified.state.root()).toString('hex'), checkpoint.stateRoot)
    assert.equal(verified.state.size, cp.manifest.keys)
    assert.deepEqual([...verified.positions], [[db.oplogs.alice, 20]], 'alice has had 21 ops acknowledged: seq 0..20')
    assert.deepEqual(verified.state.get('/values/k0007'), { i: 7, text: 'value 7' })
  }
})

test('a checkpoint that does not match its seal is refused, saying what is wrong', async (t) => {
  const db = await kv(t, 12)
  const good = await db.stateCheckpoint(4)
  await open(good, db.key)
  /** The manifest's seal with a field changed and its signature kept. */
  const alter = (m: StateCheckpoint['manifest'], change: (s: SealEntry) => SealEntry) => {
    const seal = decodeEntry(Buffer.from(m.seal, 'hex')) as SealEntry
    return Buffer.from(encodeEntry(change(seal))).toString('hex')
  }
  const stranger = { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) }
  sodium.crypto_sign_keypair(stranger.publicKey, stranger.secretKey)
  const valueOf = (c: StateChunk) => c.proof.nodes.find((n) => 'value' in n) as { key: string; value: unknown }
  const cases: { name: string; tamper: (cp: StateCheckpoint) => void; message: RegExp }[] = [
    { name: 'a value changed in a chunk', tamper: (cp) => void (valueOf(cp.chunks[1]).value = { i: -1 }), message: /chunk 1 .*does not hold at the seal's state root/ },
    {
      name: 'a key left out of a chunk',
      tamper: (cp) => {
        const nodes = cp.chunks[2].proof.nodes
        nodes.splice(nodes.findIndex((n) => 'value' in n), 1)
      },
      message: /chunk 2 .*does not hold/,
    },
    { name: 'two chunks swapped', tamper: (cp) => void ([cp.chunks[0], cp.chunks[1]] = [{ ...cp.chunks[1], index: 0 }, { ...cp.chunks[0], index: 1 }]), message: /chunk 0 .*not of the listing/ },
    { name: 'a chunk of another listing (no limit)', tamper: (cp) => void delete cp.chunks[0].proof.limit, message: /chunk 0 .*not of the listing/ },
    { name: 'one key fewer in the count', tamper: (cp) => void (cp.manifest.keys -= 1), message: /holds \d+ entries, not \d+|keys in chunks/ },
    { name: 'oplog positions that are not the seal’s', tamper: (cp) => void (cp.manifest.positions[db.oplogs.alice] -= 1), message: /oplog positions are not the ones its seal signs/ },
    { name: 'a seal signed by another key', tamper: (cp) => void (cp.manifest.seal = Buffer.from(encodeEntry(signSeal(Buffer.from(db.key, 'hex'), stranger.secretKey, decodeEntry(Buffer.from(cp.manifest.seal, 'hex')) as SealEntry))).toString('hex')), message: /not signed by the index log key/ },
    { name: 'a seal with another state root', tamper: (cp) => void (cp.manifest.seal = alter(cp.manifest, (s) => ({ ...s, stateRoot: randomBytes(32) }))), message: /not signed by the index log key/ },
    { name: 'another database', tamper: (cp) => void (cp.manifest.database = 'ab'.repeat(32)), message: /of database abababab/ },
    { name: 'another format', tamper: (cp) => void ((cp.manifest as { format: string }).format = 'glassbox-state/0'), message: /format/ },
  ]
  for (const k of cases) {
    await t.test(k.name, async () => {
      const cp = clone(good)
      k.tamper(cp)
      await assert.rejects(open(cp, db.key), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CHECKPOINT_INVALID')
        assert.match(err.message, k.message)
        return true
      })
    })
  }
  // A chunk of an older checkpoint of the same database does not pass for one of the newer.
  await putValues(db, 100, 1)
  const newer = await db.stateCheckpoint(4)
  const mixed = clone(newer)
  mixed.chunks[2] = good.chunks[2]
  await assert.rejects(open(mixed, db.key), /chunk \d .*(does not hold|not of the listing|entries)/)
  assert.throws(() => checkManifest(null, db.key), /manifest is not an object/)
})

let dht: BootstrapNodes
before(async () => {
  dht = await startBootstrapNodes()
})
after(async () => {
  await dht.close()
})

async function serving(t: TestContext, db: Database): Promise<HttpApi> {
  const api = await startHttpApi({ db, port: 0, token: null })
  t.after(() => api.close())
  return api
}

test('sync: a replica started from a checkpoint ends at the head and root of a replay from genesis, past sources that fail', async (t) => {
  const dir = await tempDir(t)
  await (await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice'] })).close()
  const db = await Database.load(dir, { network: { bootstrap: dht.bootstrap, announce: true } })
  t.after(() => db.close())
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await putValues(db, 0, 30)
  const written = await db.writeStateCheckpoint(8)
  assert.deepEqual(await listStateCheckpoints(dir), [written.manifest.length])
  await putValues(db, 30, 10)
  const api = await serving(t, db)

  // A source that serves a checkpoint with one value changed, and one that is not there at all.
  const { createServer } = await import('node:http')
  const liar = createServer((req, res) => {
    void (async () => {
      const answer = (await (await fetch(`${api.url}${req.url}`)).json()) as StateChunk
      if (req.url?.includes('/chunks/1')) (answer.proof.nodes.find((n) => 'value' in n) as { value: unknown }).value = 'forged'
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(answer))
    })()
  })
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r))
  t.after(() => liar.close())
  const liarUrl = `http://127.0.0.1:${(liar.address() as { port: number }).port}`
  const nowhere = 'http://127.0.0.1:9'

  const replica = await tempDir(t)
  const report = await syncDatabase(replica, db.key, { bootstrap: dht.bootstrap, from: [nowhere, liarUrl, api.url], timeoutMs: 20_000 })
  assert.equal(report.valid, true, JSON.stringify(report.breach))
  assert.deepEqual(report.start, { from: 'checkpoint', url: api.url, length: written.manifest.length, keys: written.manifest.keys, chunks: written.manifest.chunks })
  assert.deepEqual(report.refused.map((r) => r.url), [nowhere, liarUrl])
  assert.match(report.refused[1].reason, /chunk 1 .*does not hold at the seal's state root/)
  assert.equal(report.resumedFrom, written.manifest.length + 1)

  const full = await verifyDirectory(dir)
  assert.equal(report.verified, full.verified)
  assert.equal(report.stateRoot, full.stateRoot)
  assert.equal(report.stateRoot, (await db.checkpoint()).stateRoot)
  assert.ok(report.ops <= 10 + 1, `only the ops after the checkpoint are re-executed (${report.ops})`)
  // The replica keeps the checked checkpoint, to serve it in turn.
  assert.deepEqual(await readManifest(replica, written.manifest.length), written.manifest)
  assert.deepEqual(await readChunk(replica, written.manifest.length, 2), await readChunk(dir, written.manifest.length, 2))


  // With no source that checks, the replica is verified from genesis.
  const second = await tempDir(t)
  const fallback = await syncDatabase(second, db.key, { bootstrap: dht.bootstrap, from: [liarUrl], timeoutMs: 20_000 })
  assert.deepEqual(fallback.start, { from: 'genesis' })
  assert.equal(fallback.valid, true)
  assert.equal(fallback.resumedFrom, 0)
  assert.equal(fallback.stateRoot, full.stateRoot)
  // And its monitor's position: a later run there goes on from it, though the replica holds no entry
  // before the checkpoint, and re-executes only what was added since.
  await putValues(db, 40, 3)
  const later = await verifyRemote(replica, db.key, { bootstrap: dht.bootstrap, timeoutMs: 20_000, checkpointPath: defaultCheckpointPath(replica) })
  assert.equal(later.valid, true, JSON.stringify(later.breach))
  assert.equal(later.resumedFrom, report.verified)
  assert.ok(later.ops <= 3 + 1, `only the new ops are re-executed (${later.ops})`)
  assert.equal(later.stateRoot, (await db.checkpoint()).stateRoot)
})

test('from a checkpoint, a breach after it is found; a log rewritten under it is refused, never judged', async (t) => {
  const make = async () => {
    const db = await kv(t, 6)
    const written = await db.writeStateCheckpoint(4)
    await putValues(db, 6, 3)
    await db.close()
    return { dir: db.dir, key: db.key, manifest: written.manifest }
  }
  const base = async (dir: string, key: string, length: number) => {
    const manifest = await readManifest(dir, length)
    return openStateCheckpoint(manifest, key, (i) => readChunk(dir, length, i))
  }
  // Honest: valid, with the root a replay from genesis gets, and no false breach.
  const honest = await make()
  const fromCheckpoint = await verifyDirectory(honest.dir, { base: await base(honest.dir, honest.key, honest.manifest.length) })
  const full = await verifyDirectory(honest.dir)
  assert.equal(fromCheckpoint.valid, true)
  assert.equal(fromCheckpoint.stateRoot, full.stateRoot)
  assert.equal(fromCheckpoint.verified, full.verified)

  // An op after the checkpoint's seal that writes another value than its op says: caught.
  const after = await make()
  const at = after.manifest.length + 1
  await withDishonest(after.dir, (x) => x.tamperOp(at, (e) => ({ ...e, changes: e.changes.map((c) => (c.type === 'put' ? { ...c, value: 'forged' } : c)) })))
  const caught = await verifyDirectory(after.dir, { base: await base(after.dir, after.key, after.manifest.length) })
  assert.equal(caught.valid, false)
  assert.equal(caught.breach?.seq, at)

  // The executor rewrote an entry before the checkpoint and re-signed its seals: the checkpoint's
  // seal is no longer the log's, so the replica refuses to start from it (a fork to look into).
  const under = await make()
  await withDishonest(under.dir, async (x) => {
    await x.tamperOp(under.manifest.length - 1, (e) => ({ ...e, ack: { ...e.ack, ts: e.ack.ts + 1 } }))
    await x.reseal(under.manifest.length)
  })
  const refusal = await verifyDirectory(under.dir, { base: await base(under.dir, under.key, under.manifest.length) }).then(
    () => assert.fail('a checkpoint whose seal the log contradicts was started from'),
    (err: Error & { code?: string; fraudProof?: unknown }) => err,
  )
  assert.equal(refusal.code, 'CHECKPOINT_NOT_IN_LOG')
  assert.match(refusal.message, /two seals for that length/)
  // Both seals carry the executor's signature: together they prove the fork to anyone.
  const verdict = await judge(refusal.fraudProof, { key: under.key })
  assert.equal(verdict.verdict, 'proven', JSON.stringify(verdict))
  if (verdict.verdict === 'proven') assert.equal(verdict.class, 'index-rewritten')
})

test('glassbox checkpoint --state writes a checkpoint; sync and verify --from-checkpoint refuse bad usage by name', async (t) => {
  const db = await kv(t, 3)
  const dir = db.dir
  await db.close()
  const cwd = await tempDir(t)
  const run = await glassbox(['checkpoint', '--state', '--chunk-size', '2', '--dir', dir], cwd)
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /state checkpoint at length (\d+): \d+ keys in \d+ chunks of up to 2, in .*state-checkpoints/)
  const json = await glassbox(['checkpoint', '--state', '--dir', dir, '--json'], cwd)
  const out = JSON.parse(json.stdout) as { state: { length: number; chunkSize: number } }
  assert.equal(out.state.chunkSize, 1024)
  assert.deepEqual(await listStateCheckpoints(dir), [out.state.length])
  const usage = [
    [['checkpoint', '--chunk-size', '2', '--dir', dir], /--chunk-size needs --state/],
    [['checkpoint', '--state', '--chunk-size', '0', '--dir', dir], /at least 1/],
    [['sync', db.key, '--from', 'http://127.0.0.1:9'], /needs --dir/],
    [['sync', 'nope', '--from', 'http://127.0.0.1:9', '--dir', cwd], /not a database key/],
    [['verify', '--from-checkpoint', 'http://127.0.0.1:9', '--dir', dir], /needs a database key/],
    [['verify', db.key, '--from-checkpoint', 'http://127.0.0.1:9', '--checkpoint', '--dir', cwd], /do not go together/],
  ] as const
  for (const [args, message] of usage) {
    const r = await glassbox([...args], cwd)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`)
    assert.match(r.stderr, message)
  }
})

test('a checkpoint write cut short is never listed or served, and the next write replaces it', async (t) => {
  const db = await kv(t, 3)
  const { manifest } = await db.stateCheckpoint(2)
  // What a crash mid-write leaves: the temporary directory with some chunks and no manifest.
  const partial = path.join(checkpointsDir(db.dir), `${manifest.length}.partial`)
  await mkdir(partial, { recursive: true })
  await writeFile(path.join(partial, 'chunk-000000.json'), '{"index":0,"pro')
  assert.deepEqual(await listStateCheckpoints(db.dir), [])
  assert.equal(await readManifest(db.dir, manifest.length), null)
  const written = await db.writeStateCheckpoint(2)
  assert.deepEqual(await listStateCheckpoints(db.dir), [written.manifest.length])
  const reread = await openStateCheckpoint(await readManifest(db.dir, written.manifest.length), db.key, (i) => readChunk(db.dir, written.manifest.length, i))
  assert.equal(Buffer.from(reread.state.root()).toString('hex'), (await db.checkpoint()).stateRoot)
  await assert.rejects(access(partial), 'the partial directory is gone')
})

