/// <reference lib="dom" />
// A tiny DOM builder: the explorer makes its elements with h() and never parses HTML from data.

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>

export function h(tag: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value)
    else if (name === 'class') el.className = String(value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.append(typeof child === 'object' ? child : String(child))
  }
  return el
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (!el) throw new Error(`the page has no #${id}`)
  return el as T
}

/** The first 8 hex digits and an ellipsis; the full value stays in the title. */
export function short(hex: string): HTMLElement {
  return h('code', { title: hex }, hex.length > 12 ? hex.slice(0, 8) + '…' : hex)
}

export function json(value: unknown): HTMLElement {
  return h('pre', {}, JSON.stringify(value, null, 1).replace(/\n\s*/g, ' '))
}

/** A two-column list of labels and values. */
export function kv(rows: [string, Child | Child[]][]): HTMLElement {
  return h('div', { class: 'kv' }, rows.flatMap(([k, v]) => [h('span', {}, k), h('span', {}, v)]))
}

/** A link that saves `value` as a JSON file, as the CLI writes proof files. */
export function download(name: string, value: unknown, label: string, id?: string): HTMLElement {
  const href = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' }))
  return h('a', { href, download: name, id }, label)
}
