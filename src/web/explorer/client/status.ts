/// <reference lib="dom" />
// The header (what the database is), the verification badge, the breach notice with its fraud
// proof, and the participants with their oplogs.

import { api, type Info, type Verification } from './api.js'
import { byId, download, h, json, kv, short } from './dom.js'

export function renderSummary(info: Info): void {
  byId('summary').replaceChildren(
    ...[
      ['database', info.key],
      ['index length', String(info.length)],
      ['state root', info.stateRoot],
      ['keys', String(info.keys)],
      ['executor', info.executor ? 'runs in this server' : 'not in this server'],
    ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', { id: `summary-${k.replace(/ /g, '-')}` }, v)]),
  )
}

export function renderVerification(v: Verification): void {
  const badge = byId('verification')
  badge.setAttribute('data-valid', String(v.valid))
  badge.setAttribute('data-verified', String(v.verifiedLength))
  if (v.breach) {
    badge.className = 'badge bad'
    badge.textContent = `BREACH at entry ${v.breach.seq}: ${v.breach.class}`
  } else if (v.valid === null) {
    badge.className = 'badge'
    badge.textContent = 'verification: not reported yet'
  } else {
    const overdue = v.notices.find((n) => n.kind === 'seal-overdue')
    badge.className = overdue ? 'badge warn' : 'badge ok'
    badge.textContent = `verified ${v.verifiedLength} of ${v.indexLength} entries` + (overdue ? ` · ${overdue.message}` : '')
  }
  if (v.error) badge.title = `the monitor reported: ${v.error.code} ${v.error.message}`
}

export function noMonitor(): void {
  const badge = byId('verification')
  badge.className = 'badge'
  badge.textContent = 'verification: this server runs no monitor'
}

/** Shows the breach notice and its fraud proof (fetched once: a monitor stops at its first breach). */
export async function renderBreach(v: Verification): Promise<void> {
  const section = byId('breach')
  if (!v.breach || section.getAttribute('data-class') === v.breach.class) return
  const notice = v.breach
  section.setAttribute('data-class', notice.class)
  section.setAttribute('data-seq', String(notice.seq))
  const { class: cls, seq, message, ...evidence } = notice
  const { fraudProofs } = await api.fraudProofs()
  const record = fraudProofs.find((r) => r.seq === seq)
  section.replaceChildren(
    h('h2', {}, `Breach: ${cls} at index entry ${seq}`),
    h('p', {}, message),
    h('details', {}, h('summary', {}, 'the notice\'s evidence'), json(evidence)),
    record?.proof
      ? h('p', {}, download(`fraud-proof-${cls}-${seq}.json`, record.proof, 'download the fraud proof', 'fraud-proof-download'), ' — anyone can check it with ', h('code', {}, 'glassbox judge FILE'), ' or on the ', h('a', { href: '/judge' }, 'judge page'), ', with nothing but the file.')
      : h('p', {}, 'No fraud proof: ', record?.reason ?? 'the monitor is still building it'),
  )
  section.hidden = false
}

/** Participants: the database's inputs, named when they are oplogs of this server; click one for its ops. */
export function renderParticipants(info: Info, names: Map<string, string>): void {
  const ul = byId('participants')
  const lengths = new Map(info.oplogs.map((o) => [o.pubkey, o.length]))
  ul.replaceChildren(
    ...info.inputs.map((pubkey) =>
      h('li', { 'data-pubkey': pubkey, onclick: () => void showOplog(pubkey, names.get(pubkey) ?? null) }, names.has(pubkey) ? h('strong', {}, names.get(pubkey)!, ' ') : '', short(pubkey), lengths.has(pubkey) ? ` · ${lengths.get(pubkey)} ops` : ''),
    ),
  )
  if (info.inputs.length === 0) ul.append(h('li', {}, h('em', {}, 'no inputs')))
}

async function showOplog(pubkey: string, name: string | null): Promise<void> {
  const panel = byId('oplog')
  const { items } = await api.oplog(pubkey, -50)
  panel.replaceChildren(
    h(
      'div',
      { class: 'panel', 'data-pubkey': pubkey },
      h('h3', {}, 'Oplog ', name ? `${name} ` : '', h('code', {}, pubkey)),
      items.length === 0 ? h('p', {}, h('em', {}, 'no ops yet')) : kv(items.map((i) => [`#${i.seq}`, json(i.op)])),
    ),
  )
}
