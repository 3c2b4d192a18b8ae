// A dispute party across HTTP: a server's /v1/disputes (src/net/http/routes/disputes.ts), in either role. Its answers
// are taken as they come; the referee checks each one against the rules before it counts.
// Browser-safe (fetch only).

import { DisputeError, type DisputeAccept, type DisputeAnswer, type DisputeOpen, type DisputeRoot, type DisputeSettle } from './messages.js'
import type { AnswerRequest, DisputeParty, RootRequest, SettleRequest, StepRequest } from './party.js'
import type { StepProof } from './step.js'

export class HttpParty implements DisputeParty {
  private constructor(
    readonly key: string,
    /** The database the server defends. */
    readonly database: string,
    private readonly base: string,
    private readonly fetcher: typeof fetch,
  ) {}

  /** Asks the server at `url` for its dispute key. */
  static async connect(url: string, fetcher: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<HttpParty> {
    const base = url.replace(/\/+$/, '')
    const info = (await request(fetcher, 'GET', `${base}/v1/disputes`)) as { key?: unknown; database?: unknown }
    const hex = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
    if (!hex(info?.key) || !hex(info.database)) throw new DisputeError('DISPUTE_UNREACHABLE', `${base} names no dispute key and database`)
    return new HttpParty(info.key, info.database, base, fetcher)
  }

  accept(open: DisputeOpen): Promise<DisputeAccept> {
    return this.post('', open) as Promise<DisputeAccept>
  }

  root(req: RootRequest): Promise<DisputeRoot> {
    const { dispute, ...body } = req
    return this.post(`/${dispute}/root`, body) as Promise<DisputeRoot>
  }

  answer(req: AnswerRequest): Promise<DisputeAnswer> {
    const { dispute, ...body } = req
    return this.post(`/${dispute}/answer`, body) as Promise<DisputeAnswer>
  }

  /** Has the server open a dispute as challenger against `defender`'s root (it refuses with NO_DISPUTE if it reaches that root). */
  challenge(p: { defender: string; toRoot: string; from?: number; to?: number; deadline?: number }): Promise<DisputeOpen> {
    return this.post('/challenges', p) as Promise<DisputeOpen>
  }

  settle(req: SettleRequest): Promise<DisputeSettle> {
    const { dispute, ...body } = req
    return this.post(`/${dispute}/settle`, body) as Promise<DisputeSettle>
  }

  step(req: StepRequest): Promise<StepProof | null> {
    const { dispute, ...body } = req
    return this.post(`/${dispute}/step`, body) as Promise<StepProof | null>
  }

  close(dispute: string): void {
    // Best effort: the server drops an idle dispute by itself once its deadline has passed twice.
    this.post(`/${dispute}/close`, {}).catch(() => {})
  }

  private post(path: string, body: unknown): Promise<unknown> {
    return request(this.fetcher, 'POST', `${this.base}/v1/disputes${path}`, body)
  }
}

/** A refusal keeps the server's code (NOT_MY_ROOT, NO_SUCH_DISPUTE, …) and message. */
async function request(fetcher: typeof fetch, method: string, url: string, body?: unknown): Promise<unknown> {
  let res: Response
  try {
    res = await fetcher(url, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })
  } catch (err) {
    throw new DisputeError('DISPUTE_UNREACHABLE', `${url}: ${(err as Error).message}`)
  }
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new DisputeError('DISPUTE_UNREACHABLE', `${url}: HTTP ${res.status}, not JSON`)
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: unknown; message?: unknown } })?.error
    throw new DisputeError(typeof e?.code === 'string' ? e.code : 'DISPUTE_UNREACHABLE', `${url}: ${typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`}`)
  }
  return parsed
}
