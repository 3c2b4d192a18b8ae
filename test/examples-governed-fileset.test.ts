// examples/governed-fileset.js (seed 001 §5.2): commits take effect by majority vote of the
// current participants; votes change only while a proposal is open.

import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { exampleHarness } from './helpers/example-db.js'

const { open, send, succeeds, fails, read } = exampleHarness('governed-fileset.js')

interface Summary {
  proposalId: string
  proposer: string
  state: string
  paths: string[]
  accepts: number
  rejects: number
  needed: number
}

async function proposal(db: Database, proposalId: string): Promise<Summary> {
  const all = (await read(db, 'listProposals')) as unknown as Summary[]
  const found = all.find((p) => p.proposalId === proposalId)
  assert.ok(found, `no proposal ${proposalId} in listProposals()`)
  return found
}

test('governed-fileset: exposes the methods of seed 001 §5.2', async (t) => {
  const db = await open(t)
  for (const m of ['listFiles', 'getFile', 'listProposals', 'proposeCommit', 'acceptCommit', 'rejectCommit']) {
    assert.ok((await db.methods()).includes(m), `methods lack ${m}: ${(await db.methods()).join(', ')}`)
  }
})

test('governed-fileset: a commit is applied once a majority accepts it', async (t) => {
  const db = await open(t)
  const files = { 'README.md': '# Hello', 'docs/guide.md': 'Guide', 'docs/api/ref.md': 'Ref' }
  await succeeds(db, 'proposeCommit', { proposalId: 'c1', files }, 'alice')
  assert.deepEqual(await read(db, 'listFiles'), [], 'a proposal alone changes no file')
  let p = await proposal(db, 'c1')
  assert.deepEqual(
    { state: p.state, proposer: p.proposer, paths: [...p.paths].sort(), accepts: p.accepts, needed: p.needed },
    { state: 'proposed', proposer: db.oplogs.alice, paths: Object.keys(files).sort(), accepts: 0, needed: 2 },
  )

  const first = await succeeds(db, 'acceptCommit', { proposalId: 'c1' }, 'alice')
  assert.ok(first.changes.every((c) => c.key === '/proposals/c1'), 'one accept of three writes no file')
  assert.equal((await proposal(db, 'c1')).state, 'proposed')

  const second = await succeeds(db, 'acceptCommit', { proposalId: 'c1' }, 'bob')
  assert.deepEqual(
    second.changes.filter((c) => c.key.startsWith('/files/')).map((c) => c.key).sort(),
    ['/files/README.md', '/files/docs/api/ref.md', '/files/docs/guide.md'],
  )
  p = await proposal(db, 'c1')
  assert.deepEqual([p.state, p.accepts], ['accepted', 2])
  assert.deepEqual(await read(db, 'listFiles'), ['README.md', 'docs/api/ref.md', 'docs/guide.md'])
  assert.deepEqual(await read(db, 'listFiles', { path: 'docs' }), ['docs/api/ref.md', 'docs/guide.md'])
  assert.deepEqual(await read(db, 'listFiles', { path: '/docs/api/' }), ['docs/api/ref.md'])
  assert.deepEqual(await read(db, 'listFiles', { path: 'nowhere' }), [])
  assert.equal(await read(db, 'getFile', { path: 'docs/guide.md' }), 'Guide')
  assert.equal(await read(db, 'getFile', { path: 'docs/missing.md' }), null)

  // Votes after acceptance fail, whichever way they go.
  await fails(db, 'rejectCommit', { proposalId: 'c1' }, 'carol', /c1 is already accepted; votes can change only while it is proposed/)
  await fails(db, 'acceptCommit', { proposalId: 'c1' }, 'carol', /already accepted/)
  await fails(db, 'rejectCommit', { proposalId: 'c1' }, 'alice', /already accepted/)
})

test('governed-fileset: a majority of rejections rejects; votes may change while proposed', async (t) => {
  const db = await open(t)
  await succeeds(db, 'proposeCommit', { proposalId: 'base', files: { 'a.txt': 'A' } }, 'alice')
  await succeeds(db, 'acceptCommit', { proposalId: 'base' }, 'alice')
  await succeeds(db, 'acceptCommit', { proposalId: 'base' }, 'carol')

  await succeeds(db, 'proposeCommit', { proposalId: 'bad', files: { 'a.txt': 'vandalized', 'b.txt': 'B' } }, 'bob')
  await succeeds(db, 'acceptCommit', { proposalId: 'bad' }, 'alice')
  await succeeds(db, 'rejectCommit', { proposalId: 'bad' }, 'alice')
  let p = await proposal(db, 'bad')
  assert.deepEqual([p.state, p.accepts, p.rejects], ['proposed', 0, 1], "alice's changed vote replaces her first")
  await succeeds(db, 'acceptCommit', { proposalId: 'bad' }, 'bob')
  const last = await succeeds(db, 'rejectCommit', { proposalId: 'bad' }, 'carol')
  assert.deepEqual(last.changes.map((c) => c.key), ['/proposals/bad'], 'a rejection writes no file')
  p = await proposal(db, 'bad')
  assert.deepEqual([p.state, p.accepts, p.rejects], ['rejected', 1, 2])
  assert.equal(await read(db, 'getFile', { path: 'a.txt' }), 'A')
  assert.equal(await read(db, 'getFile', { path: 'b.txt' }), null)
  await fails(db, 'acceptCommit', { proposalId: 'bad' }, 'carol', /bad is already rejected/)
})

test('governed-fileset: a commit can delete files', async (t) => {
  const db = await open(t)
  await succeeds(db, 'proposeCommit', { proposalId: 'add', files: { 'a.txt': 'A', 'b.txt': 'B' } }, 'alice')
  await succeeds(db, 'acceptCommit', { proposalId: 'add' }, 'alice')
  await succeeds(db, 'acceptCommit', { proposalId: 'add' }, 'bob')
  await succeeds(db, 'proposeCommit', { proposalId: 'rm', files: { 'a.txt': null, 'b.txt': 'B2' } }, 'carol')
  await succeeds(db, 'acceptCommit', { proposalId: 'rm' }, 'bob')
  const done = await succeeds(db, 'acceptCommit', { proposalId: 'rm' }, 'carol')
  assert.deepEqual(
    done.changes.filter((c) => c.key.startsWith('/files/')),
    [{ type: 'del', key: '/files/a.txt' }, { type: 'put', key: '/files/b.txt', value: 'B2' }],
  )
  assert.deepEqual(await read(db, 'listFiles'), ['b.txt'])
})

test('governed-fileset: malformed proposals and votes are rejected and change nothing', async (t) => {
  const db = await open(t)
  await succeeds(db, 'proposeCommit', { proposalId: 'c1', files: { 'a.txt': 'A' } }, 'alice')
  await fails(db, 'proposeCommit', { proposalId: 'c1', files: { 'b.txt': 'B' } }, 'bob', /proposal c1 already exists/)
  await fails(db, 'proposeCommit', { proposalId: 'has space', files: { 'b.txt': 'B' } }, 'bob', /proposalId must be/)
  await fails(db, 'proposeCommit', { proposalId: 'c2', files: {} }, 'bob', /changes 1 to 100 files, this one 0/)
  await fails(db, 'proposeCommit', { proposalId: 'c2', files: ['a.txt'] }, 'bob', /files must be an object/)
  await fails(db, 'proposeCommit', { proposalId: 'c2', files: { '../etc/passwd': 'x' } }, 'bob', /bad file path/)
  await fails(db, 'proposeCommit', { proposalId: 'c2', files: { 'a//b': 'x' } }, 'bob', /bad file path/)
  await fails(db, 'proposeCommit', { proposalId: 'c2', files: { '/abs': 'x' } }, 'bob', /bad file path/)
  await fails(db, 'proposeCommit', { proposalId: 'c2', files: { 'a.txt': 5 } }, 'bob', /content of a.txt must be a string/)
  await fails(db, 'acceptCommit', { proposalId: 'nope' }, 'bob', /there is no proposal "nope"/)
  await succeeds(db, 'acceptCommit', { proposalId: 'c1' }, 'bob')
  await fails(db, 'acceptCommit', { proposalId: 'c1' }, 'bob', /already voted accept/)
  assert.equal((await proposal(db, 'c1')).state, 'proposed')
  assert.deepEqual(await read(db, 'listFiles'), [])
})

test('governed-fileset: the majority is of the current participants', async (t) => {
  const db = await open(t, { oplogs: ['alice', 'bob', 'carol', 'dave'] })
  await succeeds(db, 'proposeCommit', { proposalId: 'c1', files: { 'a.txt': 'A' } }, 'dave')
  await succeeds(db, 'acceptCommit', { proposalId: 'c1' }, 'alice')
  await succeeds(db, 'acceptCommit', { proposalId: 'c1' }, 'bob')
  const p = await proposal(db, 'c1')
  assert.deepEqual([p.state, p.accepts, p.needed], ['proposed', 2, 3], 'two of four is no majority')
  await succeeds(db, 'rejectCommit', { proposalId: 'c1' }, 'carol')
  await succeeds(db, 'rejectCommit', { proposalId: 'c1' }, 'dave')
  assert.equal((await proposal(db, 'c1')).state, 'proposed', 'a 2-2 tie decides nothing')
  await succeeds(db, 'acceptCommit', { proposalId: 'c1' }, 'carol')
  assert.equal((await proposal(db, 'c1')).state, 'accepted')
  assert.equal(await read(db, 'getFile', { path: 'a.txt' }), 'A')
})
