// The speculative block tree (seed 000; src/executor/block-tree.ts): branches of calls executed on
// their parent's state, compared, pruned and committed. Whatever is built and pruned leaves no trace
// in the state, the store, a proof or the log peers replicate; a committed branch ends where it said.

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { BlockTreeError, Database } from '../src/index.js'
import { example, send1, tempDir } from './helpers/databases.js'

async function kv(t: TestContext): Promise<Database> {
  const db = await Database.create(await tempDir(t), { contract: await example('kv-store'), oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'claimAdmin', {}, 'alice', true)
  await send1(db, 'put', { key: 'a', value: 0 }, 'alice', true)
  return db
}

const put = (key: string, value: unknown) => ({ method: 'put', params: { key, value } as never })
const refused = async (p: Promise<unknown>, code: string) => {
  const err = await p.then(
    () => assert.fail(`accepted: expected ${code}`),
    (e: unknown) => e,
  )
  assert.ok(err instanceof BlockTreeError, String(err))
  assert.equal(err.code, code)
}

test('branches execute on their parent, leave no trace, and a committed branch ends where it said', async (t) => {
  const db = await kv(t)
  const before = { info: await db.info(), length: db.length, x: await db.get('/values/x', { proof: true }) }
  const tree = db.blockTree()

  const a = await tree.executeBlock([put('x', 1)])
  assert.deepEqual(a.ops.map((o) => [o.method, o.success]), [['put', true]])
  assert.notEqual(a.stateRoot, before.info.stateRoot)
  // A child sees its parent's writes; a sibling does not.
  const a1 = await tree.executeBlock([put('y', 2), { method: 'get', params: { key: 'x' } }], a.id)
  assert.deepEqual(a1.responses, [null, 1])
  const b = await tree.executeBlock([{ method: 'get', params: { key: 'x' } }, put('x', 'other')])
  assert.deepEqual(b.responses, [null, null])
  assert.notEqual(b.stateRoot, a.stateRoot)
  // An op the contract refuses is a result (its ack says why); a call that refuses is an error.
  const bad = await tree.executeBlock([{ method: 'delete', params: { key: 'nothing-here' } }], b.id)
  assert.deepEqual(bad.ops.map((o) => [o.success, o.changes.filter((c) => c.key.startsWith('/values/')).length]), [[false, 0]])
  assert.match(bad.ops[0].error ?? '', /no value at key "nothing-here"/)
  await assert.rejects(tree.executeBlock([{ method: 'put', params: { key: 'z' } }], b.id), /put needs a value/)
  // The same block on the same parent at the same time is the same block, with the same result.
  const again = await tree.executeBlock(a1.calls, a.id, a1.ts)
  assert.deepEqual([again.id, again.stateRoot], [a1.id, a1.stateRoot])

  // No trace: state, sealed root, proofs, the log.
  assert.equal(db.get('/values/x'), null)
  assert.equal(db.length, before.length)
  const after = await db.info()
  assert.deepEqual([after.keys, after.stateRoot, after.length], [before.info.keys, before.info.stateRoot, before.info.length])
  assert.deepEqual(await db.get('/values/x', { proof: true }), before.x)

  // Prune keeps a's branch only.
  tree.prune(a1.id)
  assert.deepEqual([tree.get(a.id)?.id, tree.get(a1.id)?.id, tree.get(b.id), tree.get(bad.id)], [a.id, a1.id, undefined, undefined])
  await refused(tree.executeBlock([put('w', 1)], b.id), 'NO_SUCH_BLOCK')
  await refused(tree.commitBlocks([a1.id]), 'NOT_A_BRANCH')

  const committed = await tree.commitBlocks([a.id, a1.id])
  assert.deepEqual(committed.ops.map((o) => [o.method, o.success]), [['put', true], ['put', true]])
  assert.equal(committed.asSpeculated, true, 'no other op came between: the executor reached the root the branch said')
  assert.equal(committed.stateRoot, a1.stateRoot)
  assert.equal(db.get('/values/x')?.value, 1)
  assert.equal(db.get('/values/y')?.value, 2)
  assert.equal(tree.size, 0, 'the head moved: the tree is reset')
})

test('a tree built on a head that has moved is stale; reset starts it afresh', async (t) => {
  const db = await kv(t)
  const tree = db.blockTree()
  const a = await tree.executeBlock([put('x', 1)])
  await send1(db, 'put', { key: 'q', value: 1 }, 'alice', true)
  await refused(tree.executeBlock([put('y', 1)], a.id), 'STALE_TREE')
  tree.reset()
  const fresh = await tree.executeBlock([put('y', 1)])
  assert.equal(fresh.ops[0].success, true)
  await refused(tree.executeBlock([]), 'EMPTY_BLOCK')
  await refused(tree.commitBlocks([]), 'EMPTY_BRANCH')
  // The store holds nothing speculative either: a reopened database has only what was processed.
  const dir = db.dir
  await db.close()
  const reopened = await Database.load(dir)
  t.after(() => reopened.close())
  assert.equal(reopened.get('/values/x'), null)
  assert.equal(reopened.get('/values/y'), null)
  assert.equal(reopened.get('/values/q')?.value, 1)
})
