// Copying logs between two stores by replication in one process (glassbox sandbox, and tests): every
// log asked for arrives whole, however many are asked for at once.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Database } from '../src/index.js'
import { LogStore } from '../src/log/store.js'
import { copyLogs } from '../src/sandbox/copy-logs.js'
import { example, send1, tempDir } from './helpers/databases.js'

test('copyLogs copies the index and several oplogs in one call', async (t) => {
  const dir = await tempDir(t)
  const db = await Database.create(dir, { contract: await example('kv-store'), oplogs: ['alice', 'bob'] })
  for (const as of ['alice', 'bob']) await send1(db, 'put', { key: as, value: 1 }, as, true)
  const keys = [db.key, ...Object.values(db.oplogs)]
  await db.close()
  const from = new LogStore(dir, { readOnly: true })
  const to = new LogStore(await tempDir(t))
  await Promise.all([from.ready(), to.ready()])
  t.after(() => Promise.all([from.close(), to.close()]))
  await copyLogs(from, to, keys)
  for (const key of keys) {
    const [source, copy] = [await from.byPubkey(key), await to.byPubkey(key)]
    assert.equal(copy.length, source.length, `log ${key.slice(0, 8)} copied whole`)
    assert.equal((await copy.treeHash()).toString('hex'), (await source.treeHash()).toString('hex'))
    for (let i = 0; i < copy.length; i++) assert.ok(await copy.has(i), `block ${i} of ${key.slice(0, 8)} is held`)
  }
})
