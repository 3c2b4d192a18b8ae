/// <reference lib="dom" />
// The judge page's script: starts QuickJS and esbuild-wasm from the bytes embedded in the page, then
// gives every dropped or chosen file its verdict. Nothing is fetched: the page is all there is.

import { ESBUILD_WASM_GZ_BASE64, QUICKJS_WASM_GZ_BASE64 } from 'glassbox-judge:wasm'
import { prepareQuickJS } from '../../../vm/quickjs-wasm.browser.js'
import { initTransform, prepareTransforms, takeMissedSources } from '../../../vm/transform.browser.js'
import { Wasm } from '../../../vm/wasm-api.js'
import { fileVerdict } from '../verdict.js'

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const results = byId<HTMLOListElement>('results')
const status = byId<HTMLParagraphElement>('status')
const keyInput = byId<HTMLInputElement>('key')

async function gunzip(base64: string): Promise<Uint8Array> {
  const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

const ready = (async () => {
  const started = performance.now()
  const [quickjs, esbuild] = await Promise.all([gunzip(QUICKJS_WASM_GZ_BASE64), gunzip(ESBUILD_WASM_GZ_BASE64)])
  await Promise.all([prepareQuickJS(quickjs), Wasm.compile(esbuild).then(initTransform)])
  return performance.now() - started
})()

ready.then(
  (ms) => {
    status.textContent = `ready (started in ${Math.round(ms)} ms): drop proof files here, or choose them`
    document.body.dataset.ready = 'true'
  },
  (err: unknown) => {
    status.textContent = `the judge could not start: ${(err as Error).message}`
    document.body.dataset.ready = 'failed'
  },
)

async function retry(): Promise<boolean> {
  const missed = takeMissedSources()
  if (missed.length === 0) return false
  await prepareTransforms(missed)
  return true
}

let queue: Promise<void> = Promise.resolve()

function judgeFiles(files: Iterable<File>): void {
  for (const file of files) {
    const item = document.createElement('li')
    item.className = 'result pending'
    item.dataset.file = file.name
    item.innerHTML = '<div class="head"><span class="name"></span> <span class="badge">checking…</span></div><pre class="text"></pre>'
    item.querySelector('.name')!.textContent = file.name
    results.prepend(item)
    queue = queue.then(() => show(item, file))
  }
}

async function show(item: HTMLLIElement, file: File): Promise<void> {
  const key = keyInput.value.trim().toLowerCase()
  const badge = item.querySelector('.badge')!
  const pre = item.querySelector('.text')!
  try {
    if (key !== '' && !/^[0-9a-f]{64}$/.test(key)) throw new Error('the database key must be 64 hex characters')
    await ready
    const started = performance.now()
    const v = await fileVerdict(await file.text(), { ...(key === '' ? {} : { key }), retry })
    item.dataset.verdict = v.verdict
    item.dataset.ms = String(Math.round(performance.now() - started))
    badge.textContent = `${v.check}: ${v.verdict}`
    pre.textContent = v.text
  } catch (err) {
    item.dataset.verdict = 'error'
    badge.textContent = 'error'
    pre.textContent = (err as Error).message
  }
  item.classList.remove('pending')
  item.classList.add(item.dataset.verdict ?? 'error')
}

const zone = byId<HTMLDivElement>('drop')
const input = byId<HTMLInputElement>('files')
input.addEventListener('change', () => {
  if (input.files) judgeFiles(Array.from(input.files))
  input.value = ''
})
zone.addEventListener('dragover', (e) => {
  e.preventDefault()
  zone.classList.add('over')
})
zone.addEventListener('dragleave', () => zone.classList.remove('over'))
zone.addEventListener('drop', (e) => {
  e.preventDefault()
  zone.classList.remove('over')
  if (e.dataTransfer) judgeFiles(Array.from(e.dataTransfer.files))
})
