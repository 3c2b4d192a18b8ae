// The judge page in a real browser (Debian's Chromium): the page `glassbox judge --page` writes is
// opened from disk, real proof files made by the Node code are chosen in it, and its verdicts must
// be the Node judge's and proof checker's, word for word: a proven execution breach (the op re-run
// in QuickJS in the browser), a proven bad seal, a tampered proof, garbage, a state proof, a
// receipt, and a state proof checked against another key. The page may request nothing but itself.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, test, type TestContext } from 'node:test'
import Fastify from 'fastify'
import type { OpEntry, SealEntry } from '../src/codec/messages.js'
import type { BreachClass } from '../src/verify/breach.js'
import type { FraudProof } from '../src/verify/fraud-proof.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'
import { judgePage } from '../src/web/judge/index.js'
import { JUDGE_CSP } from '../src/web/judge/page.js'
import { fileVerdict, type PageVerdict } from '../src/web/judge/verdict.js'
import { counter, opAt } from './helpers/breaches.js'
import { openBrowser, screenshot, type BrowserSession } from './helpers/browser.js'
import { glassbox } from './helpers/cli.js'
import { send1, tempDir } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'

let session: BrowserSession
before(async () => {
  session = await openBrowser()
})
after(async () => {
  await session?.close()
})

interface Files {
  key: string
  state: unknown
  receipt: unknown
}

/** A counter database with two increments; `files` gets a state proof and a receipt from it. */
async function database(t: TestContext, files: Partial<Files>): Promise<string> {
  return counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    const called = await db.call('increment', { by: 2 }, { as: 'alice' })
    files.receipt = JSON.parse(JSON.stringify(await db.receipt(called.ops)))
    await db.settled()
    files.state = JSON.parse(JSON.stringify((await db.get('/count', { proof: true })).proof))
    files.key = db.key
  })
}

async function proofOf(dir: string, cls: BreachClass): Promise<FraudProof> {
  const report = await verifyDirectory(dir, { fraudProof: true })
  assert.equal(report.breach?.class, cls, report.breach?.message)
  const proof = report.fraudProof?.proof
  assert.ok(proof, `a ${cls} proof is built`)
  return proof
}

test('the judge page gives the Node verdicts in Chromium, offline', async (t) => {
  // Two dishonest copies of one kind of database: one signs a wrong op entry, one a lying seal.
  const files: Partial<Files> = {}
  const [execDir, sealDir] = await Promise.all([database(t, files), database(t, {})])
  await withDishonest(execDir, async (x) => {
    await x.tamperOp(opAt(2, 1), (e: OpEntry) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
    await x.reseal(opAt(2, 1) + 1)
  })
  await withDishonest(sealDir, (x) => x.tamper(opAt(2, 0) + 1, (e) => x.sign({ ...(e as SealEntry), stateRoot: new Uint8Array(32).fill(9) })))
  const execution = await proofOf(execDir, 'changes-mismatch')
  const seal = await proofOf(sealDir, 'bad-seal')
  const tampered = structuredClone(execution) as { op: { bytes: string } }
  tampered.op.bytes = tampered.op.bytes.replace(/.$/, (c) => (c === '0' ? '1' : '0'))

  const out = await tempDir(t)
  const pageFile = path.join(out, 'judge.html')
  const written = await glassbox(['judge', '--page', pageFile], out)
  assert.equal(written.code, 0, written.stderr)
  assert.match(written.stdout, /wrote the judge page to .*judge\.html \(\d+ bytes, built in \d+ ms\)/)

  const { page } = session
  const pageUrl = pathToFileURL(pageFile).href
  const requests: string[] = []
  await page.route('**/*', (route) => {
    requests.push(route.request().url())
    return route.request().url() === pageUrl ? route.continue() : route.abort()
  })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(pageUrl)
  await page.waitForSelector('body[data-ready]')
  assert.equal(await page.getAttribute("body", "data-ready"), "true", (await page.textContent("#status")) ?? "")
  await screenshot(page, 'judge-ready')

  const cases: { name: string; text: string; key?: string; expect: PageVerdict }[] = [
    { name: 'changes-mismatch.json', text: JSON.stringify(execution), expect: 'proven' },
    { name: 'bad-seal.json', text: JSON.stringify(seal), expect: 'proven' },
    { name: 'tampered.json', text: JSON.stringify(tampered), expect: 'not-proven' },
    { name: 'garbage.json', text: '{"format": "glassbox-proof/1", oops', expect: 'malformed' },
    { name: 'state.json', text: JSON.stringify(files.state), expect: 'valid' },
    { name: 'receipt.json', text: JSON.stringify(files.receipt), key: files.key, expect: 'valid' },
    { name: 'state-other-key.json', text: JSON.stringify(files.state), key: 'ab'.repeat(32), expect: 'invalid' },
  ]
  for (const c of cases) {
    const started = performance.now()
    const node = await fileVerdict(c.text, c.key === undefined ? {} : { key: c.key })
    const nodeMs = Math.round(performance.now() - started)
    assert.equal(node.verdict, c.expect, `${c.name} in Node: ${node.text}`)
    await page.fill('#key', c.key ?? '')
    await page.setInputFiles('#files', { name: c.name, mimeType: 'application/json', buffer: Buffer.from(c.text) })
    const item = page.locator(`li.result[data-file="${c.name}"]:not(.pending)`)
    await item.waitFor()
    assert.equal(await item.getAttribute('data-verdict'), node.verdict, `${c.name}: ${await item.locator('.text').textContent()}`)
    const text = (await item.locator('.text').textContent()) ?? ''
    // JSON.parse's own message is the JavaScript engine's: Chromium's V8 words it as it likes.
    if (c.name === 'garbage.json') assert.match(text, /^malformed proof: not JSON: /)
    else assert.equal(text, node.text, c.name)
    if (c.name === 'changes-mismatch.json') t.diagnostic(`execution proof judged in ${await item.getAttribute('data-ms')} ms in the browser, ${nodeMs} ms in Node`)
    await screenshot(page, `judge-${c.name.replace(/\.json$/, '')}`)
  }
  assert.deepEqual(errors, [])
  assert.deepEqual(requests, [pageUrl], 'the page requests nothing but itself')
})

test('serve --http serves the same page at /judge, outside the OpenAPI document', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  await judgePage(app)
  const res = await app.inject({ method: 'GET', url: '/judge' })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-security-policy'], JUDGE_CSP)
  assert.match(res.body, /<title>Glassbox judge<\/title>/)
  assert.ok(!/https?:\/\/[a-z]/i.test(res.body.slice(0, 4000)), 'the page shell names no other origin')
  const served = res.body
  const dir = await tempDir(t)
  await glassbox(['judge', '--page', path.join(dir, 'p.html')], dir)
  assert.equal((await readFile(path.join(dir, 'p.html'), 'utf8')).length, served.length)
})
