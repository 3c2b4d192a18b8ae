// Chunk sync (docs/protocol.md §12.2): a new replica starts from a state checkpoint that a peer
// serves over HTTP instead of from genesis. The checkpoint is checked against the seal it names
// (the database key's signature, a range proof per chunk, the oplog positions), then the replica
// verifies every entry after that seal as a monitor does. A source that cannot be reached or serves
// a checkpoint that does not check is named in the report and the next one is tried; with none
// left, the replica verifies from genesis.

import { fetchJson } from '../claims/light-client.js'
import { writeStateCheckpoint } from '../state/checkpoint/checkpoint-files.js'
import { openStateCheckpoint, type StateChunk, type VerifiedStateCheckpoint } from '../state/checkpoint/state-checkpoint.js'
import type { MonitorOptions, VerifyReport } from '../verify/monitor.js'
import { CheckpointNotInLog } from '../verify/replay.js'
import { defaultCheckpointPath } from '../verify/verify-dir.js'
import type { ForkProof } from '../verify/fraud-proof.js'
import type { RemoteLogsOptions } from './remote-logs.js'
import { verifyRemote } from './remote-monitor.js'

const DEFAULT_FETCH_TIMEOUT_MS = 30_000

export interface SyncOptions extends RemoteLogsOptions, Omit<MonitorOptions, 'base' | 'checkpointPath'> {
  /** Base URLs of HTTP APIs (`serve --http`) to take the checkpoint from, tried in order. */
  from: readonly string[]
  /** The checkpoint's length (default: the highest a source keeps). */
  length?: number
  /** Keep the checked checkpoint in the replica's directory, so that it can serve it in turn (default true). */
  keep?: boolean
  fetchTimeoutMs?: number
  /** Called as chunks are checked. */
  onChunk?: (done: number, total: number, url: string) => void
  fetcher?: typeof fetch
}

export interface SyncReport extends VerifyReport {
  /** Where verification started: a checkpoint (its source and length) or genesis. */
  start: { from: 'checkpoint'; url: string; length: number; keys: number; chunks: number } | { from: 'genesis' }
  /** Sources not used, and why (unreachable, or a checkpoint that did not check). */
  /** Sources not started from, and why; a checkpoint whose seal contradicts the log's carries the fork proof. */
  refused: { url: string; reason: string; fraudProof?: ForkProof }[]
}

/** Fetches and checks the state checkpoint a source serves; throws saying why it is refused. */
export async function fetchStateCheckpoint(url: string, database: string, opts: Pick<SyncOptions, 'length' | 'fetchTimeoutMs' | 'onChunk' | 'fetcher'> = {}): Promise<{ checkpoint: VerifiedStateCheckpoint; chunks: StateChunk[] }> {
  const base = url.replace(/\/+$/, '')
  const timeout = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS
  const get = (p: string) => fetchJson(`${base}${p}`, timeout, opts.fetcher)
  let length = opts.length
  if (length === undefined) {
    const listed = (await get('/v1/state-checkpoints')) as { checkpoints?: unknown }
    const lengths = Array.isArray(listed?.checkpoints) ? listed.checkpoints.filter((n): n is number => Number.isSafeInteger(n)) : []
    if (lengths.length === 0) throw new Error('it keeps no state checkpoint')
    length = Math.max(...lengths)
  }
  const manifest = await get(`/v1/state-checkpoints/${length}`)
  const chunks: StateChunk[] = []
  const checkpoint = await openStateCheckpoint(
    manifest,
    database,
    async (i) => {
      const chunk = await get(`/v1/state-checkpoints/${length}/chunks/${i}`)
      chunks.push(chunk as StateChunk)
      return chunk
    },
    (done, total) => opts.onChunk?.(done, total, base),
  )
  return { checkpoint, chunks }
}

/** Replicates database `key` into `dir`, starting from the first source's checkpoint that checks, and verifies to the head. */
export async function syncDatabase(dir: string, key: string, opts: SyncOptions): Promise<SyncReport> {
  const refused: SyncReport['refused'] = []
  // A kept replica keeps its monitor's position too, so `monitor --checkpoint` there goes on from it.
  const saved = opts.keep === false ? null : defaultCheckpointPath(dir)
  for (const url of opts.from) {
    let got: Awaited<ReturnType<typeof fetchStateCheckpoint>>
    try {
      got = await fetchStateCheckpoint(url, key, opts)
    } catch (err) {
      refused.push({ url, reason: (err as Error).message })
      continue
    }
    const { checkpoint, chunks } = got
    let report: VerifyReport
    try {
      report = await verifyRemote(dir, key, { ...opts, base: checkpoint, checkpointPath: saved, indexFrom: checkpoint.seal.length })
    } catch (err) {
      // A checkpoint whose seal the log does not hold: signed by the executor for another log (a
      // fork to look into), or of another history. Either way it is no start for this replica.
      if (!(err instanceof CheckpointNotInLog)) throw err
      refused.push({ url, reason: err.message, ...(err.fraudProof ? { fraudProof: err.fraudProof } : {}) })
      continue
    }
    if (opts.keep !== false) await writeStateCheckpoint(dir, { manifest: checkpoint.manifest, chunks })
    const { length, keys, chunks: count } = checkpoint.manifest
    return { ...report, start: { from: 'checkpoint', url, length, keys, chunks: count }, refused }
  }
  const report = await verifyRemote(dir, key, { ...opts, checkpointPath: saved })
  return { ...report, start: { from: 'genesis' }, refused }
}
