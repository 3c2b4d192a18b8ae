// A light client's trust file (docs/protocol.md §11.4): the database, where to reach its executor,
// the monitors it weighs (keys, weights, where their claims are served) and the weight it needs.

export const TRUST_FORMAT = 'glassbox-trust/1'

export interface TrustedMonitor {
  /** The monitor's public key (hex): the signer of its claims. */
  key: string
  weight: number
  /** The base URL of the HTTP API that serves its claims (`GET /v1/claims`). */
  url?: string
  name?: string
}

export interface TrustFile {
  format: typeof TRUST_FORMAT
  /** The database key (hex). */
  database: string
  /** The base URL of an HTTP API of the database (checkpoints, state reads with proofs). */
  executor: string
  /** The claimed weight an answer needs before the light client calls it trusted. */
  threshold: number
  monitors: TrustedMonitor[]
}

export class TrustFileError extends Error {
  readonly code = 'TRUST_FILE'
}

const HEX32 = /^[0-9a-f]{64}$/

/** Checks a parsed trust file; throws TrustFileError naming the first thing wrong. */
export function checkTrustFile(value: unknown): TrustFile {
  const bad = (why: string) => new TrustFileError(`not a trust file: ${why}`)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object')
  const t = value as Record<string, unknown>
  if (t.format !== TRUST_FORMAT) throw bad(`"format" must be "${TRUST_FORMAT}"`)
  if (typeof t.database !== 'string' || !HEX32.test(t.database)) throw bad('"database" must be the database key (64 hex)')
  if (typeof t.executor !== 'string' || !/^https?:\/\//.test(t.executor)) throw bad('"executor" must be an http(s) URL')
  if (typeof t.threshold !== 'number' || !(t.threshold > 0) || !Number.isFinite(t.threshold)) throw bad('"threshold" must be a positive number')
  if (!Array.isArray(t.monitors) || t.monitors.length === 0) throw bad('"monitors" must list at least one monitor')
  const seen = new Set<string>()
  for (const [i, m] of t.monitors.entries()) {
    if (typeof m !== 'object' || m === null) throw bad(`monitors[${i}] is not an object`)
    const { key, weight, url, name } = m as Record<string, unknown>
    if (typeof key !== 'string' || !HEX32.test(key)) throw bad(`monitors[${i}].key must be a monitor's public key (64 hex)`)
    if (seen.has(key)) throw bad(`monitor ${key.slice(0, 8)}… is listed twice`)
    seen.add(key)
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) throw bad(`monitors[${i}].weight must be a positive number`)
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\//.test(url))) throw bad(`monitors[${i}].url must be an http(s) URL`)
    if (name !== undefined && typeof name !== 'string') throw bad(`monitors[${i}].name must be a string`)
  }
  return value as TrustFile
}
