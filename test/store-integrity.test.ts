// The two-party rule (docs/protocol.md §5.5): the state store is outside the trusted core. Every
// value read from it is checked against the authenticated map, and a value that fails the check
// never reaches contract code: the run stops with a StoreIntegrityError (apply, call), the
// executor stops without signing anything, and the next open rebuilds the store from the log.
// The lying disk here rewrites bytes of state/data.mdb under the open store.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { encode } from '../src/codec/canonical.js'
import { encodeEntry, encodeOp, type OpEntry } from '../src/codec/messages.js'
import { Database } from '../src/index.js'
import { AuthMap } from '../src/state/auth/index.js'
import { recompute } from '../src/verify/recompute.js'
import { ContractVM } from '../src/vm/index.js'
import type { Json, ListOptions, StateReader } from '../src/vm/types.js'
import { send1, tempDir } from './helpers/databases.js'
import { alterInPlace } from './helpers/lying-disk.js'

const NOTE = 'the-note-value-7f3a9c'
const LIE = 'the-note-value-XXXXXX'

/** A contract whose BUMP copies /note to /seen; `catches` says whether it survives a failed read. */
function noteContract(catches: boolean): string {
  const read = catches
    ? `let seen
    try {
      const e = await tx.get('/note')
      seen = e ? e.value : null
    } catch (err) {
      seen = 'caught: ' + err.message
    }`
    : `const e = await tx.get('/note')
    const seen = e ? e.value : null`
  return `import { index } from 'contract'

export function set({ text }, emit) { emit({ op: 'SET', text }) }
export function bump(_params, emit) { emit({ op: 'BUMP' }) }
export function other(_params, emit) { emit({ op: 'OTHER' }) }
export function otherThenBump(_params, emit) {
  emit({ op: 'OTHER' })
  emit({ op: 'BUMP' })
}
export async function note() {
  try {
    const e = await index.get('/note')
    return e ? e.value : null
  } catch (err) {
    return 'caught: ' + err.message
  }
}

export const apply = {
  SET(tx, op) { tx.put('/note', op.text) },
  OTHER(tx) { tx.put('/other', 1) },
  async BUMP(tx) {
    ${read}
    tx.put('/seen', seen)
  },
}
`
}

/** A map of one key whose value source answers `told` instead of what the root commits to. */
function lyingMap(told: Json): AuthMap {
  return AuthMap.fromStored([{ key: '/note', encoded: encode(NOTE) }], { read: () => encode(told) })
}

/** A reader that remembers every key asked for (to see what ran after a failed read). */
function recording(inner: StateReader): { reader: StateReader; asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    reader: {
      get: (key: string) => {
        asked.push(key)
        return inner.get(key)
      },
      list: (prefix: string, opts?: ListOptions) => {
        asked.push(`list ${prefix}`)
        return inner.list(prefix, opts)
      },
    },
  }
}

const isIntegrityError = (key: string) => (err: unknown) => {
  const e = err as { name?: string; code?: string; key?: string; message?: string }
  assert.equal(e.name, 'StoreIntegrityError', String(err))
  assert.equal(e.code, 'STORE_INTEGRITY')
  assert.equal(e.key, key)
  assert.match(e.message ?? '', new RegExp(key))
  return true
}

const ack = { origin: 'a'.repeat(64), seq: 0, ts: 0, metadata: null }

test('an AuthMap read the store answers wrongly throws StoreIntegrityError naming the key and the hashes', () => {
  const map = lyingMap('something else')
  assert.throws(() => map.get('/note'), (err: unknown) => {
    isIntegrityError('/note')(err)
    const e = err as { expected?: string; found?: string }
    assert.match(e.expected ?? '', /^[0-9a-f]{64}$/)
    assert.match(e.found ?? '', /^[0-9a-f]{64}$/)
    assert.notEqual(e.expected, e.found)
    return true
  })
  const missing = AuthMap.fromStored([{ key: '/note', encoded: encode(NOTE) }], { read: () => undefined })
  assert.throws(() => missing.get('/note'), (err: unknown) => isIntegrityError('/note')(err) && (err as { found?: string }).found === null)
  // Listing reads values too.
  assert.throws(() => lyingMap(1).list('/'), isIntegrityError('/note'))
})

for (const catches of [true, false]) {
  test(`apply() over a lying store throws StoreIntegrityError, with a contract that ${catches ? 'catches' : 'does not catch'} errors`, async () => {
    const vm = await ContractVM.create(noteContract(catches))
    try {
      const { reader, asked } = recording(lyingMap(LIE))
      assert.throws(() => vm.apply({ op: 'BUMP' }, ack, reader), isIntegrityError('/note'))
      // Read once: the run was not repeated in a fresh sandbox as if a limit had tripped.
      assert.deepEqual(asked, ['/note'])
      // The warm sandbox carries nothing over: the next op over an honest state is the usual one.
      const honest = AuthMap.fromSorted([{ key: '/note', value: NOTE }])
      assert.deepEqual(vm.apply({ op: 'BUMP' }, ack, honest), { success: true, error: null, changes: [{ type: 'put', key: '/seen', value: NOTE }], gas: vm.apply({ op: 'BUMP' }, ack, honest).gas })
      // A fresh run (the judge's) stops the same way.
      assert.throws(() => vm.applyFresh({ op: 'BUMP' }, ack, lyingMap(LIE)), isIntegrityError('/note'))
    } finally {
      vm.dispose()
    }
  })
}

test('a contract that catches the failed read cannot go on: nothing after it reaches the host, and its loop is cut short', async () => {
  const vm = await ContractVM.create(`export const apply = {
  async SPIN(tx) {
    try {
      await tx.get('/note')
    } catch (err) {
      await tx.get('/after')
      for (;;) {}
    }
  },
}`)
  try {
    const { reader, asked } = recording(lyingMap(LIE))
    assert.throws(() => vm.apply({ op: 'SPIN' }, ack, reader), isIntegrityError('/note'))
    assert.deepEqual(asked, ['/note'])
  } finally {
    vm.dispose()
  }
})

test('a call over a lying store throws StoreIntegrityError, even when the method catches errors', async () => {
  const vm = await ContractVM.create(noteContract(true))
  try {
    assert.throws(() => vm.call('note', null, { state: lyingMap(LIE), isWriter: false, oplog: null }), isIntegrityError('/note'))
  } finally {
    vm.dispose()
  }
})

/** A database of noteContract(catches) whose /note is written, committed to the store and left memory. */
async function noteDatabase(t: TestContext, catches: boolean): Promise<{ dir: string; db: Database; mdb: string }> {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: noteContract(catches) })
  await send1(db, 'set', { text: NOTE }, undefined, true)
  await db.settled() // the store takes the state
  return { dir, db, mdb: path.join(dir, 'state', 'data.mdb') }
}

for (const catches of [true, false]) {
  test(`a store that lies stops the executor, which signs nothing; the restart rebuilds it and processes the op once (contract ${catches ? 'catches' : 'does not catch'})`, async (t) => {
    const { dir, db, mdb } = await noteDatabase(t, catches)
    let reopened: Database | null = null
    try {
      const length = db.length
      const head = await db.head()
      const errors: Error[] = []
      db.on('error', (err: Error) => errors.push(err))
      assert.ok((await alterInPlace(mdb, NOTE, LIE)) > 0, 'the value is in the store file')

      // Two ops in one append, so one block: OTHER runs, then BUMP meets the lie.
      const bump = await db.call('otherThenBump', {})
      await assert.rejects(bump.whenProcessed(), isIntegrityError('/note'))
      assert.equal(errors.length, 1)
      isIntegrityError('/note')(errors[0])
      // Nothing appended: no entry for either op, no seal; the state is the last sealed one.
      assert.equal(db.length, length)
      assert.deepEqual(await db.head(), head)
      assert.equal(db.get('/other'), null)
      assert.equal(db.get('/seen'), null)
      // The executor stays stopped: later ops are not processed either.
      const later = await db.call('other', {})
      await assert.rejects(later.whenProcessed(), isIntegrityError('/note'))
      assert.equal((await db.head()).length, length)
      await db.close()

      reopened = await Database.load(dir)
      assert.equal(reopened.stateLoad.from, 'log')
      assert.match(reopened.stateLoad.discarded ?? '', /\/note/)
      const done = await reopened.whenProcessed(bump.ops)
      assert.deepEqual(done.map((r) => r.success), [true, true], done.map((r) => r.error).join())
      assert.deepEqual(reopened.get('/seen'), { key: '/seen', value: NOTE })
      assert.deepEqual(reopened.get('/other'), { key: '/other', value: 1 })
      const [next] = await reopened.whenProcessed(later.ops)
      assert.equal(next.success, true)
      const report = await reopened.verify()
      assert.equal(report.valid, true, JSON.stringify(report.breach))
      // SET, OTHER, BUMP, OTHER: each op acknowledged exactly once.
      assert.equal(report.ops, 4)
    } finally {
      await (reopened ?? db).close()
    }
  })
}

test('a lie seen by a read outside the executor (an API read) stops the executor and marks the store, even if the disk then tells the truth', async (t) => {
  const { dir, db, mdb } = await noteDatabase(t, true)
  let reopened: Database | null = null
  try {
    const length = db.length
    db.on('error', () => {})
    assert.ok((await alterInPlace(mdb, NOTE, LIE)) > 0)
    assert.throws(() => db.get('/note'), isIntegrityError('/note'))
    await assert.rejects(db.get('/note', { proof: true }), isIntegrityError('/note'))
    await assert.rejects(async () => db.call('note', {}), isIntegrityError('/note'))
    // An op that reads nothing the store lied about is not processed either: the executor stopped.
    const later = await db.call('other', {})
    await assert.rejects(later.whenProcessed(), isIntegrityError('/note'))
    assert.equal((await db.head()).length, length)
    // The disk tells the truth again: the store is still one known to have lied.
    assert.ok((await alterInPlace(mdb, LIE, NOTE)) > 0)
    await db.close()

    reopened = await Database.load(dir)
    assert.equal(reopened.stateLoad.from, 'log')
    assert.match(reopened.stateLoad.discarded ?? '', /\/note/)
    assert.deepEqual(reopened.get('/note'), { key: '/note', value: NOTE })
    const [r] = await reopened.whenProcessed(later.ops)
    assert.equal(r.success, true)
    await reopened.close()
    // Rebuilt and written again: the open after that resumes from the store.
    reopened = await Database.load(dir)
    assert.equal(reopened.stateLoad.from, 'store')
  } finally {
    await (reopened ?? db).close()
  }
})

test("the replay's recomputation over a lying state reader throws StoreIntegrityError instead of finding a breach", async () => {
  const vm = await ContractVM.create(noteContract(true))
  try {
    const published: OpEntry = {
      type: 'op',
      ack: { origin: ack.origin, seq: 0, oplogLength: 1, oplogHash: new Uint8Array(32), ts: 0, metadata: null, success: true, error: null },
      changes: [{ type: 'put', key: '/seen', value: NOTE }],
      stateRoot: new Uint8Array(32),
    }
    const run = () => recompute(vm, published, encodeEntry(published), encodeOp({ op: 'BUMP' }), lyingMap(LIE), { index: 'a'.repeat(64), signer: 'b'.repeat(64) }, () => new Uint8Array(32))
    assert.throws(run, isIntegrityError('/note'))
  } finally {
    vm.dispose()
  }
})
