// examples/membership-voting.js: members vote oplogs in and out; the executor starts processing an
// oplog voted in and stops processing one voted out, including ops it wrote before the vote.

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { CallError, Database, type Json } from '../src/index.js'
import { exampleHarness } from './helpers/example-db.js'

const { examplePath: EXAMPLE, open, send, succeeds, fails, read } = exampleHarness('membership-voting.js')

interface Proposal {
  id: string
  action: 'add' | 'remove'
  pubkey: string
  proposer: string
  state: 'open' | 'passed' | 'failed'
  votes: Record<string, boolean>
  yes: number
  no: number
  needed: number
}

async function readAs(db: Database, method: string, params: Json, as: string): Promise<Json> {
  return (await db.call(method, params, { as })).response
}

async function proposal(db: Database, id: string): Promise<Proposal> {
  const p = (await read(db, 'getProposal', { id })) as unknown as Proposal | null
  assert.ok(p, `no proposal ${id}`)
  return p
}

/** Proposes and returns the proposal id the API function generated. */
async function propose(db: Database, action: string, pubkey: string, as: string): Promise<string> {
  const r = await db.call('propose', { action, pubkey }, { as })
  const [result] = await r.whenProcessed()
  assert.equal(result.error, null, `propose ${action} ${pubkey.slice(0, 8)} as ${as} should succeed`)
  const { id } = r.response as { id: string }
  assert.equal((result.op as { id: string }).id, id, 'the op carries the id the call returned')
  return id
}

async function members(db: Database): Promise<string[]> {
  return ((await read(db, 'listMembers')) as string[]).slice().sort()
}

function notAWriter(err: unknown): boolean {
  assert.ok(err instanceof CallError, `expected a CallError, got ${String(err)}`)
  assert.equal(err.code, 'NOT_A_WRITER')
  return true
}

test('membership-voting: exposes its methods', async (t) => {
  const db = await open(t)
  for (const m of ['listMembers', 'listProposals', 'getProposal', 'propose', 'vote', 'whoami']) {
    assert.ok((await db.methods()).includes(m), `methods lack ${m}: ${(await db.methods()).join(', ')}`)
  }
  assert.deepEqual(await members(db), Object.values(db.oplogs).sort())
})

test('membership-voting: a new oplog becomes a writer once a majority votes it in', async (t) => {
  const db = await open(t)
  const dave = await db.createOplog('dave')
  assert.deepEqual(await readAs(db, 'whoami', {}, 'dave'), { pubkey: dave, member: false })
  await assert.rejects(db.call('vote', { id: 'x', approve: true }, { as: 'dave' }), notAWriter)

  const id = await propose(db, 'add', dave, 'alice')
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'ids come from genUUID()')
  let p = await proposal(db, id)
  assert.deepEqual(
    { state: p.state, yes: p.yes, needed: p.needed, proposer: p.proposer },
    { state: 'open', yes: 1, needed: 2, proposer: db.oplogs.alice },
    "proposing is the proposer's yes vote",
  )
  assert.equal(db.get(`.sys/inputs/${dave}`), null, 'one vote of three changes no membership')

  await succeeds(db, 'vote', { id, approve: true }, 'bob')
  p = await proposal(db, id)
  assert.equal(p.state, 'passed')
  assert.ok(db.get(`.sys/inputs/${dave}`), 'dave is an input')
  assert.deepEqual(await members(db), [...Object.values(db.oplogs)].sort())
  assert.deepEqual(await readAs(db, 'whoami', {}, 'dave'), { pubkey: dave, member: true })

  // dave's ops are now processed, from the first op of his oplog.
  const r = await db.call('propose', { action: 'remove', pubkey: db.oplogs.carol }, { as: 'dave' })
  const [result] = await r.whenProcessed()
  assert.deepEqual([result.success, result.origin, result.seq], [true, dave, 0])
  await fails(db, 'vote', { id, approve: false }, 'carol', /has passed; voting on it is closed/)
})

test('membership-voting: a member voted out can no longer write', async (t) => {
  const db = await open(t, { oplogs: ['alice', 'bob', 'carol', 'dave'] })
  const { carol } = db.oplogs
  const eve = await db.createOplog('eve')
  const addEve = await propose(db, 'add', eve, 'carol')
  const id = await propose(db, 'remove', carol, 'dave')
  await succeeds(db, 'vote', { id, approve: false }, 'carol')
  await succeeds(db, 'vote', { id, approve: true }, 'alice')
  let p = await proposal(db, id)
  assert.deepEqual([p.state, p.yes, p.no, p.needed], ['open', 2, 1, 3], 'two of four is no majority')
  assert.ok(db.get(`.sys/inputs/${carol}`))

  await succeeds(db, 'vote', { id, approve: true }, 'bob')
  p = await proposal(db, id)
  assert.equal(p.state, 'passed')
  assert.equal(db.get(`.sys/inputs/${carol}`), null)
  assert.ok(!(await members(db)).includes(carol))
  assert.deepEqual(await readAs(db, 'whoami', {}, 'carol'), { pubkey: carol, member: false })
  await assert.rejects(db.call('vote', { id, approve: false }, { as: 'carol' }), notAWriter)
  // carol's yes for eve no longer counts; with three members left, two make a majority.
  const q = await proposal(db, addEve)
  assert.deepEqual([q.state, q.yes, q.needed], ['open', 0, 2])
  await succeeds(db, 'vote', { id: addEve, approve: true }, 'alice')
  assert.equal((await proposal(db, addEve)).state, 'open', "alice's yes and a removed member's yes are no majority")
  await succeeds(db, 'vote', { id: addEve, approve: true }, 'dave')
  assert.equal((await proposal(db, addEve)).state, 'passed')
  assert.ok(db.get(`.sys/inputs/${eve}`))
})

test('membership-voting: a majority of no votes fails the proposal and changes no membership', async (t) => {
  const db = await open(t)
  const outsider = 'ab'.repeat(32)
  const id = await propose(db, 'add', outsider, 'alice')
  // The proposer changes her mind while the proposal is open.
  await succeeds(db, 'vote', { id, approve: false }, 'alice')
  let p = await proposal(db, id)
  assert.deepEqual([p.state, p.yes, p.no], ['open', 0, 1])
  const before = db.list('.sys/inputs/')
  await succeeds(db, 'vote', { id, approve: false }, 'bob')
  p = await proposal(db, id)
  assert.deepEqual([p.state, p.yes, p.no], ['failed', 0, 2])
  assert.deepEqual(db.list('.sys/inputs/'), before)
  await fails(db, 'vote', { id, approve: true }, 'carol', /has failed; voting on it is closed/)
  // A failed proposal does not block a new one about the same oplog.
  await propose(db, 'add', outsider, 'carol')
})

test('membership-voting: malformed proposals and votes are rejected and change nothing', async (t) => {
  const db = await open(t)
  const outsider = 'cd'.repeat(32)
  await fails(db, 'propose', { action: 'add', pubkey: db.oplogs.bob }, 'alice', /is already a member/)
  await fails(db, 'propose', { action: 'remove', pubkey: outsider }, 'alice', /is not a member/)
  await fails(db, 'propose', { action: 'add', pubkey: 'ABCD' }, 'alice', /pubkey must be 64 lowercase hex/)
  await fails(db, 'propose', { action: 'promote', pubkey: outsider }, 'alice', /action must be "add", "remove" or "standby"/)
  await fails(db, 'vote', { id: 'no-such-id', approve: true }, 'alice', /there is no proposal "no-such-id"/)
  const id = await propose(db, 'add', outsider, 'alice')
  await fails(db, 'vote', { id, approve: 'yes' }, 'bob', /approve must be true or false/)
  await fails(db, 'vote', { id, approve: true }, 'alice', /already voted yes/)
  await fails(db, 'propose', { action: 'add', pubkey: outsider }, 'bob', /about cdcdcdcd… is still open/)
  assert.equal((await read(db, 'listProposals') as unknown as Proposal[]).length, 1)
})

test('membership-voting: the last member cannot be removed; a sole member decides alone', async (t) => {
  const db = await open(t, { oplogs: ['solo'] })
  const helper = await db.createOplog('helper')
  await propose(db, 'add', helper, 'solo')
  assert.ok(db.get(`.sys/inputs/${helper}`), 'one yes of one member is a majority')
  const id = await propose(db, 'remove', db.oplogs.solo, 'helper')
  await succeeds(db, 'vote', { id, approve: true }, 'solo')
  assert.deepEqual(await members(db), [helper])
  await fails(db, 'propose', { action: 'remove', pubkey: helper }, 'helper', /the last member cannot be removed/)
  assert.deepEqual(await members(db), [helper])
})

test('membership-voting: ops a removed member wrote before the vote are never processed', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-'))
  const live: { db: Database | null } = { db: null }
  t.after(async () => {
    await live.db?.close()
    await rm(dir, { recursive: true, force: true })
  })
  const contract = await readFile(EXAMPLE, 'utf8')
  let db = (live.db = await Database.create(dir, { contract, oplogs: ['alice', 'bob', 'carol'] }))
  const { carol } = db.oplogs
  const id = await propose(db, 'remove', carol, 'alice')
  await db.close()

  // Without an executor, carol (still a member) and bob (with the deciding vote) append ops.
  db = live.db = await Database.load(dir, { execute: false })
  await db.call('vote', { id, approve: true }, { as: 'bob' })
  await db.call('propose', { action: 'add', pubkey: '01'.repeat(32) }, { as: 'carol' })
  await db.call('propose', { action: 'add', pubkey: '02'.repeat(32) }, { as: 'carol' })
  await db.close()

  db = live.db = await Database.load(dir)
  await db.settled()
  assert.equal((await proposal(db, id)).state, 'passed')
  assert.equal(db.get(`.sys/inputs/${carol}`), null)
  const info = await db.info()
  assert.equal(info.oplogs.find((o) => o.name === 'carol')?.length, 2)
  const carolAcks: number[] = []
  for (const item of await db.history({ log: 'index' })) {
    if (item.log === 'index' && item.entry.type === 'op' && item.entry.ack.origin === carol) carolAcks.push(item.entry.ack.seq)
  }
  // Whichever order the executor took, carol's last op came after her removal.
  assert.ok(carolAcks.length < 2, `carol's ops acknowledged after removal: ${carolAcks.join(', ')}`)
  assert.ok(!carolAcks.includes(1))
  assert.equal(
    ((await read(db, 'listProposals')) as unknown as Proposal[]).filter((p) => p.pubkey === '02'.repeat(32)).length,
    0,
  )
  // More activity does not revive them.
  await fails(db, 'vote', { id: 'none', approve: true }, 'bob', /there is no proposal/)
  assert.ok(!(await db.history({ log: 'index' })).some((h) => h.log === 'index' && h.path === `.sys/acks/${carol}/1`))
})
