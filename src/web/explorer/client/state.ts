/// <reference lib="dom" />
// The state browser: keys under a prefix, and for the key picked its value with its state proof.
// The proof is shown with what it is checked against: the seal it is anchored to (decoded here from
// its canonical bytes), whose state root the proof's path must hash to and whose signature must be
// the executor's. The page cross-checks that seal against the one in the index log; the full
// cryptographic check runs offline (`glassbox proof verify`, or the judge page) on the file.

import { decode } from '../../../codec/canonical.js'
import { api, isSeal, type StateProofFile } from './api.js'
import { byId, download, h, json, kv, short } from './dom.js'

export class StateBrowser {
  private prefix = ''
  private after: string | null = null
  private selected: string | null = null

  constructor() {
    byId('state-form').addEventListener('submit', (ev) => {
      ev.preventDefault()
      this.prefix = byId<HTMLInputElement>('prefix').value.trim()
      void this.list()
    })
    byId('state-more').addEventListener('click', () => void this.list(true))
  }

  /** Lists the first page of keys under the prefix (again, when the state changed). */
  async list(more = false): Promise<void> {
    const ul = byId('state-list')
    const page = await api.list(this.prefix, more ? (this.after ?? undefined) : undefined)
    if (!more) ul.replaceChildren()
    for (const { key, value } of page.entries) {
      const li = h('li', { 'data-key': key, class: key === this.selected ? 'selected' : null, onclick: () => void this.show(key) }, h('code', {}, key), ' = ', JSON.stringify(value).slice(0, 80))
      ul.append(li)
    }
    if (!more && page.entries.length === 0) ul.append(h('li', {}, h('em', {}, `no keys under ${JSON.stringify(this.prefix)}`)))
    this.after = page.next
    byId('state-more').hidden = page.next === null
  }

  /** Shows the key's value and its proof; called again on new blocks so the proof stays at the head. */
  async show(key: string): Promise<void> {
    this.selected = key
    byId('state-list').querySelectorAll('li').forEach((li) => li.classList.toggle('selected', li.getAttribute('data-key') === key))
    const panel = byId('proof')
    try {
      const read = await api.proof(key)
      panel.replaceChildren(await proofPanel(read.key, read.found, read.value, read.proof))
    } catch (err) {
      panel.replaceChildren(h('div', { class: 'panel' }, h('p', { class: 'check bad' }, `no proof for ${key}: ${(err as Error).message}`)))
    }
  }

  /** Refreshes the list and the open proof after the state changed. */
  async refresh(): Promise<void> {
    await this.list()
    if (this.selected !== null) await this.show(this.selected)
  }
}

interface SealFields {
  length: number
  stateRoot: string
  treeHash: string
  signature: string
}

async function proofPanel(key: string, found: boolean, value: unknown, file: StateProofFile): Promise<HTMLElement> {
  const seal = decodeSeal(file.anchor.seal)
  const logged = await sealInLog(seal.length)
  const matches = logged !== null && logged.stateRoot === seal.stateRoot && logged.signature === seal.signature && logged.treeHash === seal.treeHash
  return h(
    'div',
    { class: 'panel', id: 'proof-panel', 'data-key': key, 'data-root': seal.stateRoot },
    h('h3', {}, found ? 'Value' : 'Absent', ' at ', h('code', {}, key)),
    found ? json(value) : h('p', {}, 'No value: the proof shows the key is absent.'),
    kv([
      ['proof', `${file.proof.type}, ${file.proof.nodes.length} nodes`],
      ['state root', h('code', { class: 'root' }, seal.stateRoot)],
      ['sealed at', `index length ${seal.length}`],
      ['tree hash', short(seal.treeHash)],
      ['signer', short(file.anchor.signer)],
      ['database', short(file.key)],
    ]),
    h('p', { class: `check ${matches ? 'ok' : 'bad'}` }, matches ? `the anchor is the seal at #${seal.length} of the index log shown here` : `the anchor does not match the seal at #${seal.length} of the index log`),
    h('details', {}, h('summary', {}, 'proof nodes'), json(file.proof.nodes)),
    h('p', {}, download(`${key.replace(/[^\w.-]+/g, '_').replace(/^_/, '')}.proof.json`, file, 'download the proof', 'proof-download'), ' — check it with ', h('code', {}, 'glassbox proof verify FILE'), ' or on the ', h('a', { href: '/judge' }, 'judge page'), '.'),
  )
}

function decodeSeal(hex: string): SealFields {
  const bytes = new Uint8Array(hex.match(/../g)?.map((b) => parseInt(b, 16)) ?? [])
  const seal = decode(bytes) as Record<string, unknown>
  const hexOf = (v: unknown) => (v instanceof Uint8Array ? [...v].map((b) => b.toString(16).padStart(2, '0')).join('') : String(v))
  return { length: Number(seal.length), stateRoot: hexOf(seal.stateRoot), treeHash: hexOf(seal.treeHash), signature: hexOf(seal.signature) }
}

async function sealInLog(at: number): Promise<SealFields | null> {
  const { items } = await api.index(at, at + 1)
  const entry = items[0]?.entry
  return entry && isSeal(entry) ? entry : null
}
