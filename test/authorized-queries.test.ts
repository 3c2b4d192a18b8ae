// Authorized queries (docs/protocol.md §16): a signed read answered only if the contract's
// authorize(query, identity) allows it for the key that signed it, with a signed answer bound to the
// sealed head. A refusal is the same whether the key, the value or the method exists; a forged,
// altered, stale or misdirected query is refused by name; an altered answer does not check.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import sodium from 'sodium-native'
import { toHex } from '../src/codec/hash.js'
import { Database } from '../src/index.js'
import { startHttpApi } from '../src/net/http/server.js'
import { checkAnswer, QueryError, REFUSED_MESSAGE, signQuery, type Answer } from '../src/participant/query.js'
import { glassbox } from './helpers/cli.js'
import { example, send1, tempDir } from './helpers/databases.js'

/** Notes anyone may write and only listed readers may read. */
const NOTES = `
import { index } from 'contract'
export async function get({ key }) {
  const e = await index.get('/notes/' + key)
  return e ? e.value : null
}
export function put({ key, value }, emit) { emit({ op: 'PUT', key, value }) }
export function addReader({ pubkey }, emit) { emit({ op: 'ADD_READER', pubkey }) }
export async function authorize(query, identity) {
  if (query.method !== 'get') return false
  return (await index.get('/readers/' + identity)) !== null
}
export const apply = {
  PUT(tx, op) { tx.put('/notes/' + op.key, op.value) },
  ADD_READER(tx, op) { tx.put('/readers/' + op.pubkey, true) },
}
`

function keyPair() {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return { publicKey: toHex(publicKey), secretKey: new Uint8Array(secretKey) }
}

async function notes(t: TestContext, reader: string): Promise<Database> {
  const db = await Database.create(await tempDir(t), { contract: NOTES, oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'put', { key: 'plan', value: 'secret plan' }, 'alice', true)
  await send1(db, 'addReader', { pubkey: reader }, 'alice', true)
  return db
}

const refusal = async (p: Promise<unknown>, code: string): Promise<QueryError> => {
  const err = await p.then(
    () => assert.fail(`answered: expected ${code}`),
    (e: unknown) => e,
  )
  assert.ok(err instanceof QueryError, String(err))
  assert.equal(err.code, code, err.message)
  return err
}

test('an authorized key gets a signed answer bound to the sealed head; any other key, one refusal', async (t) => {
  const reader = keyPair()
  const stranger = keyPair()
  const db = await notes(t, reader.publicKey)
  const query = signQuery({ database: db.key, method: 'get', params: { key: 'plan' } }, reader.secretKey)
  const answer = await db.answerQuery(query)
  checkAnswer(answer, query)
  assert.deepEqual([answer.result, answer.error], ['secret plan', null])
  const head = await db.checkpoint()
  assert.deepEqual([answer.length, answer.stateRoot], [head.size, head.stateRoot])
  // The answer is signed by the directory's own key and checks only for this query.
  assert.throws(() => checkAnswer({ ...answer, result: 'another plan' }, query), /not signed by the key it names/)
  const other = signQuery({ database: db.key, method: 'get', params: { key: 'other' } }, reader.secretKey)
  assert.throws(() => checkAnswer(answer, other), /not for this query/)
  assert.throws(() => checkAnswer(answer, query, stranger.publicKey), /signed by/)

  // A stranger learns nothing: the same refusal for a key that exists, one that does not, a method
  // that writes, one that is not there, and authorize itself.
  const messages = new Set<string>()
  for (const [method, params] of [
    ['get', { key: 'plan' }],
    ['get', { key: 'nothing-here' }],
    ['put', { key: 'x', value: 1 }],
    ['nope', {}],
    ['authorize', {}],
  ] as const) {
    const err = await refusal(db.answerQuery(signQuery({ database: db.key, method, params }, stranger.secretKey)), 'QUERY_REFUSED')
    messages.add(err.message)
  }
  assert.deepEqual([...messages], [REFUSED_MESSAGE])
  // Even the reader may not run a write as a query.
  await refusal(db.answerQuery(signQuery({ database: db.key, method: 'put', params: { key: 'x', value: 1 } }, reader.secretKey)), 'QUERY_REFUSED')
  // authorize is no public method.
  assert.ok(!(await db.info()).contract.methods.includes('authorize'))
  await assert.rejects(db.call('authorize', {}), /has no method "authorize"/)
})

test('forged, altered, misdirected, stale and malformed queries are refused by name', async (t) => {
  const reader = keyPair()
  const db = await notes(t, reader.publicKey)
  const good = signQuery({ database: db.key, method: 'get', params: { key: 'plan' } }, reader.secretKey)
  const mallory = keyPair()
  // Mallory signs, claiming to be the reader.
  const forged = { ...signQuery({ database: db.key, method: 'get', params: { key: 'plan' } }, mallory.secretKey), by: reader.publicKey }
  await refusal(db.answerQuery(forged), 'QUERY_SIGNATURE')
  await refusal(db.answerQuery({ ...good, params: { key: 'other' } }), 'QUERY_SIGNATURE')
  await refusal(db.answerQuery(signQuery({ database: '00'.repeat(32), method: 'get', params: { key: 'plan' } }, reader.secretKey)), 'QUERY_OTHER_DATABASE')
  await refusal(db.answerQuery(signQuery({ database: db.key, method: 'get', params: { key: 'plan' } }, reader.secretKey, Date.now() - 3_600_000)), 'QUERY_STALE')
  for (const bad of [null, 'get plan', { ...good, format: 'x' }, { ...good, method: '' }, { ...good, by: 'me' }, { ...good, params: undefined }]) {
    await refusal(db.answerQuery(bad), 'QUERY_MALFORMED')
  }
})

test('a contract without authorize answers everyone; POST /v1/queries and glassbox query', async (t) => {
  const open = await Database.create(await tempDir(t), { contract: await example('kv-store'), oplogs: ['alice'] })
  t.after(() => open.close())
  await send1(open, 'put', { key: 'a', value: 1 }, 'alice', true)
  const anyone = keyPair()
  const a = await open.answerQuery(signQuery({ database: open.key, method: 'get', params: { key: 'a' } }, anyone.secretKey))
  assert.equal(a.result, 1)

  const dir = await tempDir(t)
  const keyFile = path.join(dir, 'me.key')
  // The key file is made on first use; the reader is that key.
  const db = await Database.create(await tempDir(t), { contract: NOTES, oplogs: ['alice'] })
  t.after(() => db.close())
  await send1(db, 'put', { key: 'plan', value: 'secret plan' }, 'alice', true)
  const api = await startHttpApi({ db, port: 0, token: null })
  t.after(() => api.close())
  const refused = await glassbox(['query', api.url, 'get', '--params', '{"key":"plan"}', '--key', keyFile], dir)
  assert.equal(refused.code, 1, refused.stderr)
  assert.match(refused.stdout, /refused: the query is not authorized/)
  const me = (JSON.parse(await readFile(keyFile, 'utf8')) as { publicKey: string }).publicKey
  await send1(db, 'addReader', { pubkey: me }, 'alice', true)
  const answered = await glassbox(['query', api.url, 'get', '--params', '{"key":"plan"}', '--key', keyFile, '--json'], dir)
  assert.equal(answered.code, 0, answered.stderr)
  const answer = JSON.parse(answered.stdout) as Answer
  assert.equal(answer.result, 'secret plan')
  assert.equal(answer.length, (await db.checkpoint()).size)
  const raw = await fetch(`${api.url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signQuery({ database: db.key, method: 'get', params: { key: 'plan' } }, keyPair().secretKey)) })
  assert.equal(raw.status, 403)
  assert.equal(((await raw.json()) as { error: { code: string } }).error.code, 'QUERY_REFUSED')
  const usage = await glassbox(['query', api.url, 'get'], dir)
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /needs --key/)
})
