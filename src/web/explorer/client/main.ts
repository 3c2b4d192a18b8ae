/// <reference lib="dom" />
// The explorer's entry: loads the page's sections from the API, then follows /v1/events and reads
// what changed. Updates run one at a time; an event that comes during one schedules one more.

import { ApiError, api, type Info, type Verification } from './api.js'
import { byId } from './dom.js'
import { StateBrowser } from './state.js'
import { noMonitor, renderBreach, renderParticipants, renderSummary, renderVerification } from './status.js'
import { Timeline } from './timeline.js'

const timeline = new Timeline(byId('timeline'), byId<HTMLButtonElement>('older'))
const state = new StateBrowser()
let target = 0

/** The header and participants from the info; the timeline names local oplogs from it. */
function showInfo(info: Info): void {
  const names = new Map(info.oplogs.map((o) => [o.pubkey, o.name]))
  timeline.setNames(names)
  renderSummary(info)
  renderParticipants(info, names)
}

async function refreshIndex(): Promise<void> {
  const info = await api.info()
  showInfo(info)
  const grew = info.length > timeline.length
  await timeline.extend(Math.max(target, info.length))
  if (grew) await state.refresh()
  document.body.setAttribute('data-length', String(timeline.length))
}

async function showVerification(v: Verification): Promise<void> {
  renderVerification(v)
  if (v.breach) {
    timeline.markBreach(v.breach.seq)
    await renderBreach(v)
  }
}

/** Runs `task` now, or once more after the run in progress. */
function serial(task: () => Promise<void>): () => void {
  let running: Promise<void> | null = null
  let again = false
  const run = (): void => {
    if (running) {
      again = true
      return
    }
    running = task()
      .catch((err: Error) => console.error('explorer:', err))
      .finally(() => {
        running = null
        if (again) {
          again = false
          run()
        }
      })
  }
  return run
}

async function start(): Promise<void> {
  const info = await api.info()
  showInfo(info)
  await timeline.start(info.length)
  await state.list()
  const update = serial(refreshIndex)
  update()
  let latest: Verification | null = null
  const verify = serial(async () => {
    if (latest) await showVerification(latest)
  })

  const live = byId('live')
  const events = new EventSource('/v1/events')
  events.addEventListener('open', () => {
    live.className = 'badge ok'
    live.textContent = 'live'
  })
  events.addEventListener('error', () => {
    live.className = 'badge warn'
    live.textContent = 'reconnecting…'
  })
  events.addEventListener('index', (ev) => {
    target = Math.max(target, JSON.parse((ev as MessageEvent).data).length)
    update()
  })
  events.addEventListener('verification', (ev) => {
    latest = JSON.parse((ev as MessageEvent).data)
    verify()
  })
  // Without a monitor the stream sends no verification events: say so once.
  api.fraudProofs().catch((err) => err instanceof ApiError && err.code === 'NO_MONITOR' && noMonitor())
}

void start()
