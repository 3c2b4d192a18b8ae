// The explorer and the API docs page in a real browser (Debian's Chromium), against a real
// database held by `glassbox serve --http`: the timeline, a value with its proof, a call that shows
// up live, a breach with its fraud proof, and Swagger UI listing every route. No page may reach
// past the server: every request the browser makes is recorded and checked.

import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { counter, opAt } from './helpers/breaches.js'
import { openBrowser, screenshot, type BrowserSession } from './helpers/browser.js'
import { glassbox, startServer, type Server } from './helpers/cli.js'
import { send1 } from './helpers/databases.js'
import { withDishonest } from './helpers/dishonest-executor.js'
import { Database } from '../src/index.js'
import { startHttpApi } from '../src/net/http/server.js'

const TOKEN = 'explorer-test-token-0123'

/** Starts `serve --http 0` on `dir` and returns its base URL; stopped (SIGTERM) when `stop` runs. */
async function serveHttp(dir: string, cwd: string, flags: string[] = []): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  const server = await startServer(dir, cwd, ['--http', '0', ...flags])
  const url = (server.ready as { http?: string }).http
  assert.ok(url, `serve printed no HTTP address: ${JSON.stringify(server.ready)}`)
  return {
    server,
    url,
    async stop() {
      server.child.kill('SIGTERM')
      await server.exited
    },
  }
}

/** Records every request the page makes that is not to `origin` (the pages must work offline). */
function watchOffsite(page: Page, origin: string): string[] {
  const offsite: string[] = []
  page.on('request', (req) => {
    const url = req.url()
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) offsite.push(url)
  })
  return offsite
}

async function call(url: string, method: string, params: unknown): Promise<{ ops: { outcome: { index: number; success: boolean } }[] }> {
  const res = await fetch(`${url}/v1/call/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ params }),
  })
  assert.equal(res.status, 200, await res.clone().text())
  return (await res.json()) as { ops: { outcome: { index: number; success: boolean } }[] }
}

// One Chromium for the file: each test opens its own page.
let browser: BrowserSession
before(async () => {
  browser = await openBrowser()
})
after(() => browser?.close())

describe('the explorer on a served database', () => {
  let tmp: string
  let served: Awaited<ReturnType<typeof serveHttp>>
  let page: Page
  let offsite: string[]

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'glassbox-explorer-'))
    await copyFile(path.resolve('examples/kv-store.js'), path.join(tmp, 'kv-store.js'))
    const dir = path.join(tmp, 'db')
    const init = await glassbox(['init', 'kv-store.js', '--dir', dir], tmp)
    assert.equal(init.code, 0, init.stderr)
    await writeFile(path.join(tmp, 'token'), TOKEN)
    served = await serveHttp(dir, tmp, ['--token-file', path.join(tmp, 'token')])
    await call(served.url, 'put', { key: 'greeting', value: 'hello' })
    await call(served.url, 'put', { key: 'answer', value: 42 })
    page = browser.page
    await page.setViewportSize({ width: 1200, height: 900 })
    offsite = watchOffsite(page, served.url)
  })

  after(async () => {
    await served?.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  test('the timeline shows the index log: blocks of op entries with their ops, closed by seals', async () => {
    await page.goto(served.url + '/')
    await page.waitForSelector('.entry[data-type="op"] >> nth=1')
    const ops = await page.$$eval('.entry[data-type="op"]', (rows) => rows.map((r) => r.textContent ?? ''))
    assert.equal(ops.length, 2)
    assert.match(ops[0], /"PUT"/)
    assert.match(ops[0], /main/, 'the op names the local oplog it came from')
    assert.match(ops[0], /greeting/)
    assert.match(ops[0], /applied/)
    assert.match(ops[1], /\/values\/answer/)
    // Every block the page shows ends in a seal; the genesis block holds the header and contract.
    const { items } = (await (await fetch(`${served.url}/v1/history?start=0`)).json()) as { items: { seq: number; entry: { type: string } }[] }
    const shown = await page.$$eval('.entry', (rows) => rows.map((r) => [Number(r.getAttribute('data-seq')), r.getAttribute('data-type')]))
    assert.deepEqual(shown, items.map((i) => [i.seq, i.entry.type]))
    const sealed = await page.$$eval('.block', (blocks) => blocks.map((b) => b.getAttribute('data-sealed')))
    assert.ok(sealed.every((s) => s !== null), 'every block is sealed')
    // The participant (the server's oplog "main") and its ops.
    await page.click('#participants li >> nth=0')
    await page.waitForSelector('#oplog .panel')
    assert.match((await page.textContent('#participants')) ?? '', /main/)
    assert.match((await page.textContent('#oplog')) ?? '', /"answer"/)
    await page.waitForSelector('#verification.ok')
    assert.match((await page.textContent('#verification')) ?? '', /verified \d+ of \d+ entries/)
    await screenshot(page, 'explorer')
  })

  test('the state browser shows a value with its proof and the signed root it is checked against', async () => {
    await page.click('#state-list li[data-key="/values/greeting"]')
    const panel = await page.waitForSelector('#proof-panel[data-key="/values/greeting"]')
    const text = (await panel.textContent()) ?? ''
    assert.match(text, /"hello"/)
    assert.match(text, /membership/)
    assert.match(text, /the anchor is the seal at #\d+ of the index log shown here/)
    // The root shown is the one the last seal signs, and the one the API's proof file carries.
    const res = await fetch(`${served.url}/v1/history?start=-1`)
    const [last] = ((await res.json()) as { items: { entry: { type: string; stateRoot: string } }[] }).items
    assert.equal(last.entry.type, 'seal')
    assert.equal(await panel.getAttribute('data-root'), last.entry.stateRoot)
    // The proof downloads as the file `glassbox proof verify` takes.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#proof-download')])
    const file = JSON.parse(await readFile((await download.path())!, 'utf8'))
    assert.equal(file.kind, 'state')
    const check = await glassbox(['proof', 'verify', (await download.path())!, '--json'], tmp)
    assert.equal(check.code, 0, check.stdout + check.stderr)
    await screenshot(page, 'explorer-proof')
  })

  test('a new call appears without a reload, from the live events', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1))
    const answer = await call(served.url, 'put', { key: 'live', value: 'yes' })
    const at = answer.ops[0].outcome.index
    await page.waitForSelector(`.entry[data-seq="${at}"][data-type="op"]`)
    await page.waitForSelector('#state-list li[data-key="/values/live"]')
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 1, 'the page was not reloaded')
    assert.match((await page.textContent('#live')) ?? '', /live/)
  })

  test('Swagger UI lists every route of the OpenAPI document, offline', async () => {
    const doc = (await (await fetch(served.url + '/openapi.json')).json()) as { paths: Record<string, unknown> }
    await page.goto(served.url + '/docs')
    await page.waitForSelector('.opblock-summary-path')
    const listed = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')))
    assert.deepEqual(new Set(listed), new Set(Object.keys(doc.paths)))
    assert.ok(listed.includes('/v1/events'))
    await screenshot(page, 'api-docs')
    assert.deepEqual(offsite, [], 'no page reached past the server')
  })
})

test('a breach shows on the explorer with its fraud proof, which the judge proves', async (t) => {
  const dir = await counter(t, async (db) => {
    await send1(db, 'increment', {}, 'alice', true)
    await send1(db, 'increment', { by: 2 }, 'alice', true)
  })
  const at = opAt(2, 1)
  // The executor re-signs its log with an op entry whose changes are not what the op gives.
  await withDishonest(dir, async (x) => {
    await x.tamperOp(at, (e) => ({ ...e, changes: [{ type: 'put', key: '/count', value: 99 }] }))
    await x.reseal(at + 1)
  })
  // `serve` refuses to run an executor on a log that contradicts its state: the database is opened
  // to be watched, as a reader would, with the monitor the server runs.
  const db = await Database.load(dir, { execute: false })
  const api = await startHttpApi({ db, monitor: await db.monitor({ fraudProof: true }), port: 0, token: null })
  const served = { url: api.url }
  const page = await browser.browser.newPage()
  t.after(async () => {
    await page.close()
    await api.close()
    await db.close()
  })
  await page.setViewportSize({ width: 1200, height: 900 })
  const offsite = watchOffsite(page, served.url)
  await page.goto(served.url + '/')
  const notice = await page.waitForSelector('#breach[data-class="changes-mismatch"]')
  assert.equal(await notice.getAttribute('data-seq'), String(at))
  await page.waitForSelector(`.entry.breach[data-seq="${at}"]`)
  assert.match((await page.textContent('#verification')) ?? '', /BREACH at entry/)
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#fraud-proof-download')])
  const judged = await glassbox(['judge', (await download.path())!, '--json'], path.dirname(dir))
  assert.equal(judged.code, 0, judged.stdout + judged.stderr)
  await screenshot(page, 'explorer-breach')
  assert.deepEqual(offsite, [])
})
