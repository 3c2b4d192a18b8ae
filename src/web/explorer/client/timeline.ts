/// <reference lib="dom" />
// The index log as blocks of entries: op entries (the op from its oplog, the ack, the changes, the
// state root after it) and the seal that closes each block. Loads the tail, then what the live
// events announce, and older blocks on demand.

import { api, isOp, isSeal, type IndexItem } from './api.js'
import { h, json, kv, short } from './dom.js'

/** Entries fetched per page (the API's largest page is 1000). */
const PAGE = 200

export class Timeline {
  /** First and next index positions shown. */
  private first = 0
  private next = 0
  private open: HTMLElement | null = null
  private readonly ops = new Map<string, unknown>()
  private names = new Map<string, string>()
  private breachAt: number | null = null

  constructor(
    private readonly root: HTMLElement,
    private readonly older: HTMLButtonElement,
  ) {
    older.addEventListener('click', () => void this.loadOlder())
  }

  /** Local oplog names, to show "main" rather than a key. */
  setNames(names: Map<string, string>): void {
    this.names = names
  }

  get length(): number {
    return this.next
  }

  /** Shows the last blocks of a log of `length` entries. */
  async start(length: number): Promise<void> {
    const items = blockAligned(await this.fetch(Math.max(0, length - PAGE), length))
    this.first = items[0]?.seq ?? length
    this.next = this.first
    this.add(items, false)
    this.older.hidden = this.first === 0
  }

  /** Appends the entries up to `length` (the live events say when). */
  async extend(length: number): Promise<void> {
    while (this.next < length) {
      const items = await this.fetch(this.next, Math.min(length, this.next + PAGE))
      if (items.length === 0) return
      this.add(items, true)
    }
  }

  /** Marks the entry a breach notice names. */
  markBreach(seq: number): void {
    this.breachAt = seq
    this.root.querySelector(`.entry[data-seq="${seq}"]`)?.classList.add('breach')
  }

  private async loadOlder(): Promise<void> {
    const end = this.first
    const items = blockAligned(await this.fetch(Math.max(0, end - PAGE), end))
    const blocks = document.createDocumentFragment()
    let block: HTMLElement | null = null
    for (const item of items) {
      block ??= blocks.appendChild(newBlock())
      block.append(this.row(item, false))
      if (item.entry.type === 'seal') block = closeBlock(block, item)
    }
    this.root.prepend(blocks)
    this.first = items[0]?.seq ?? 0
    this.older.hidden = this.first === 0
  }

  private add(items: IndexItem[], fresh: boolean): void {
    for (const item of items) {
      this.open ??= this.root.appendChild(newBlock())
      this.open.append(this.row(item, fresh))
      if (item.entry.type === 'seal') {
        closeBlock(this.open, item)
        this.open = null
      }
      this.next = item.seq + 1
    }
  }

  /** Index entries and the ops their acks name, so a row shows what was asked and what it did. */
  private async fetch(start: number, end: number): Promise<IndexItem[]> {
    if (end <= start) return []
    const { items } = await api.index(start, end)
    const wanted = new Map<string, number[]>()
    for (const { entry } of items) {
      if (!isOp(entry)) continue
      const { origin, seq } = entry.ack
      if (!this.ops.has(`${origin}/${seq}`)) wanted.set(origin, [...(wanted.get(origin) ?? []), seq])
    }
    await Promise.all(
      [...wanted].map(async ([origin, seqs]) => {
        try {
          const { items: ops } = await api.oplog(origin, Math.min(...seqs), Math.max(...seqs) + 1)
          for (const op of ops) this.ops.set(`${origin}/${op.seq}`, op.op)
        } catch {
          // An oplog no longer an input is not served: the row says the op is not available.
        }
      }),
    )
    return items
  }

  private row(item: IndexItem, fresh: boolean): HTMLElement {
    const { seq, entry } = item
    const failed = isOp(entry) && !entry.ack.success
    const cls = ['entry', fresh && 'fresh', failed && 'failed', seq === this.breachAt && 'breach'].filter(Boolean).join(' ')
    return h('div', { class: cls, 'data-seq': seq, 'data-type': entry.type, title: item.path }, h('span', { class: 'seq' }, seq), h('span', { class: 'type' }, entry.type), this.body(item))
  }

  private body({ entry }: IndexItem): HTMLElement {
    if (isOp(entry)) {
      const { ack } = entry
      const op = this.ops.get(`${ack.origin}/${ack.seq}`)
      return kv([
        ['op', [this.who(ack.origin), ` #${ack.seq} `, op === undefined ? h('em', {}, 'not available') : json(op)]],
        ['ack', [ack.success ? 'applied' : h('strong', {}, 'failed: ' + (ack.error ?? '')), ' at ', new Date(ack.ts).toISOString(), ack.metadata === null ? '' : json(ack.metadata)]],
        ['changes', entry.changes.length === 0 ? 'none' : entry.changes.map((c) => h('div', { class: 'change' }, c.type, ' ', h('code', {}, c.key), c.type === 'put' ? json(c.value) : ''))],
        ['root', short(entry.stateRoot)],
      ])
    }
    if (isSeal(entry)) {
      return kv([
        ['length', entry.length],
        ['tree hash', short(entry.treeHash)],
        ['state root', short(entry.stateRoot)],
        ['signature', short(entry.signature)],
      ])
    }
    if (entry.type === 'contract') return h('details', {}, h('summary', {}, 'contract source'), h('pre', {}, String(entry.code ?? '')))
    if (entry.type === 'input') return kv([['participant', this.who(String(entry.pubkey))]])
    const { type: _type, ...rest } = entry
    return Object.keys(rest).length ? json(rest) : h('span', {})
  }

  private who(pubkey: string): HTMLElement {
    const name = this.names.get(pubkey)
    return name ? h('span', {}, h('strong', {}, name), ' ', short(pubkey)) : short(pubkey)
  }
}

function newBlock(): HTMLElement {
  return h('div', { class: 'block' }, h('h3', {}, 'not sealed yet'))
}

function closeBlock(block: HTMLElement, seal: IndexItem): HTMLElement {
  const first = block.querySelector('.entry')?.getAttribute('data-seq')
  block.setAttribute('data-sealed', String(seal.seq))
  block.querySelector('h3')!.textContent = `entries ${first}–${seal.seq} · sealed at length ${seal.seq}`
  return block
}

/** Drops the entries before the first seal, so a page starts at a block's first entry (unless it starts at 0). */
function blockAligned(items: IndexItem[]): IndexItem[] {
  if (items.length === 0 || items[0].seq === 0) return items
  const seal = items.findIndex((i) => i.entry.type === 'seal')
  return seal === -1 || seal === items.length - 1 ? items : items.slice(seal + 1)
}
