// Chunk sync (docs/protocol.md §12.2): a new replica starts from a state checkpoint that a peer
// serves, over HTTP or over the swarm (§12.4), instead of from genesis. The checkpoint is checked
// against the seal it names (the database key's signature, a range proof per chunk, the oplog
// positions), then the replica verifies every entry after that seal as a monitor does. A source that
// cannot be reached or serves a checkpoint that does not check is named in the report and the next
// one is tried; with none left, the replica verifies from genesis.

import { fetchJson } from '../claims/light-client.js'
import { writeStateCheckpoint } from '../state/checkpoint/checkpoint-files.js'
import { openStateCheckpoint, type StateChunk, type VerifiedStateCheckpoint } from '../state/checkpoint/state-checkpoint.js'
import type { MonitorOptions, VerifyReport } from '../verify/monitor.js'
import { CheckpointNotInLog } from '../verify/replay.js'
import { defaultCheckpointPath } from '../verify/verify-dir.js'
import type { ForkProof } from '../verify/fraud-proof.js'
import type { CheckpointRequest, CheckpointSource } from './checkpoint-channel.js'
import { openRemoteLogs, type RemoteLogsOptions } from './remote-logs.js'
import { verifyRemote, verifyToHead, watchRemote } from './remote-monitor.js'

/** The source that stands for every peer of the database's swarm, in `SyncOptions.from`. */
export const SWARM_SOURCE = 'swarm'

const DEFAULT_FETCH_TIMEOUT_MS = 30_000

export interface SyncOptions extends RemoteLogsOptions, Omit<MonitorOptions, 'base' | 'checkpointPath'> {
  /**
   * Where to take the checkpoint from, tried in order: base URLs of HTTP APIs (`serve --http`), or
   * SWARM_SOURCE for the peers the replica meets on the swarm (highest checkpoint first).
   */
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
  /** A source is a URL, or `swarm:<peer public key>` for a peer met on the swarm. */
  start: { from: 'checkpoint'; url: string; length: number; keys: number; chunks: number } | { from: 'genesis' }
  /** Sources not started from, and why; a checkpoint whose seal contradicts the log's carries the fork proof. */
  refused: { url: string; reason: string; fraudProof?: ForkProof }[]
}

type FetchOptions = Pick<SyncOptions, 'length' | 'fetchTimeoutMs' | 'onChunk' | 'fetcher'>

/** Fetches and checks the state checkpoint an HTTP API serves; throws saying why it is refused. */
export async function fetchStateCheckpoint(url: string, database: string, opts: FetchOptions = {}): Promise<{ checkpoint: VerifiedStateCheckpoint; chunks: StateChunk[] }> {
  return fetchFrom(httpSource(url, opts), database, opts)
}

/** A source asked over HTTP, at the paths of the API's /v1/state-checkpoints routes. */
function httpSource(url: string, opts: FetchOptions): CheckpointSource {
  const base = url.replace(/\/+$/, '')
  const timeout = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS
  const paths = ({ length, chunk }: CheckpointRequest) =>
    length === undefined ? '' : chunk === undefined ? `/${length}` : `/${length}/chunks/${chunk}`
  return { name: base, ask: (req) => fetchJson(`${base}/v1/state-checkpoints${paths(req)}`, timeout, opts.fetcher) }
}

/** The highest checkpoint length a source lists, or the reason it has none. */
async function highestListed(source: CheckpointSource): Promise<number> {
  const listed = (await source.ask({})) as { checkpoints?: unknown }
  const lengths = Array.isArray(listed?.checkpoints) ? listed.checkpoints.filter((n): n is number => Number.isSafeInteger(n) && n >= 0) : []
  if (lengths.length === 0) throw new Error('it keeps no state checkpoint')
  return Math.max(...lengths)
}

async function fetchFrom(source: CheckpointSource, database: string, opts: FetchOptions): Promise<{ checkpoint: VerifiedStateCheckpoint; chunks: StateChunk[] }> {
  const length = opts.length ?? (await highestListed(source))
  const manifest = await source.ask({ length })
  const chunks: StateChunk[] = []
  const checkpoint = await openStateCheckpoint(
    manifest,
    database,
    async (i) => {
      const chunk = await source.ask({ length, chunk: i })
      chunks.push(chunk as StateChunk)
      return chunk
    },
    (done, total) => opts.onChunk?.(done, total, source.name),
  )
  return { checkpoint, chunks }
}

/** Replicates database `key` into `dir`, starting from the first source's checkpoint that checks, and verifies to the head. */
export async function syncDatabase(dir: string, key: string, opts: SyncOptions): Promise<SyncReport> {
  const refused: SyncReport['refused'] = []
  // A kept replica keeps its monitor's position too, so `monitor --checkpoint` there goes on from it.
  const saved = opts.keep === false ? null : defaultCheckpointPath(dir)
  for (const from of opts.from) {
    const report = from === SWARM_SOURCE ? await fromSwarm(dir, key, opts, saved, refused) : await fromUrl(from, dir, key, opts, saved, refused)
    if (report) return report
  }
  const report = await verifyRemote(dir, key, { ...opts, checkpointPath: saved })
  return { ...report, start: { from: 'genesis' }, refused }
}

type Refused = SyncReport['refused']

async function fromUrl(url: string, dir: string, key: string, opts: SyncOptions, saved: string | null, refused: Refused): Promise<SyncReport | null> {
  let got: Awaited<ReturnType<typeof fetchFrom>>
  try {
    got = await fetchStateCheckpoint(url, key, opts)
  } catch (err) {
    refused.push({ url, reason: (err as Error).message })
    return null
  }
  const { checkpoint } = got
  let report: VerifyReport
  try {
    report = await verifyRemote(dir, key, { ...opts, base: checkpoint, checkpointPath: saved, indexFrom: checkpoint.seal.length, oplogsAfter: checkpoint.manifest.positions })
  } catch (err) {
    return refuse(err, url, refused)
  }
  return started(dir, report, url, got, opts, refused)
}

/**
 * Asks the peers met on the swarm, highest checkpoint first, over the replica's own connections:
 * the index log is fetched only from the seal of the checkpoint that checks.
 */
async function fromSwarm(dir: string, key: string, opts: SyncOptions, saved: string | null, refused: Refused): Promise<SyncReport | null> {
  const remote = await openRemoteLogs(dir, key, { ...opts, indexFrom: null })
  let handedOver = false
  try {
    const timeout = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS
    // Every peer the DHT names for the database, not just the first to answer for the index.
    await remote.replicator.flush(timeout)
    const candidates: { source: CheckpointSource; length: number }[] = []
    await Promise.all(
      remote.checkpoints.peers.map(async (peer) => {
        const source = remote.checkpoints.source(peer, timeout)
        try {
          candidates.push({ source, length: opts.length ?? (await highestListed(source)) })
        } catch (err) {
          refused.push({ url: source.name, reason: (err as Error).message })
        }
      }),
    )
    candidates.sort((a, b) => b.length - a.length)
    for (const { source, length } of candidates) {
      let got: Awaited<ReturnType<typeof fetchFrom>>
      try {
        got = await fetchFrom(source, key, { ...opts, length })
      } catch (err) {
        refused.push({ url: source.name, reason: (err as Error).message })
        continue
      }
      remote.downloadIndex(got.checkpoint.seal.length)
      remote.downloadOplogsAfter(got.checkpoint.manifest.positions)
      let monitor: Awaited<ReturnType<typeof watchRemote>>
      try {
        monitor = await watchRemote(remote, { ...opts, base: got.checkpoint, checkpointPath: saved })
      } catch (err) {
        refuse(err, source.name, refused)
        continue
      }
      handedOver = true
      return started(dir, await verifyToHead(monitor), source.name, got, opts, refused)
    }
    if (candidates.length === 0 && remote.checkpoints.peers.length === 0) refused.push({ url: SWARM_SOURCE, reason: 'no peer was connected to ask' })
    return null
  } finally {
    if (!handedOver) await remote.close()
  }
}

/**
 * A checkpoint whose seal the log does not hold: signed by the executor for another log (a fork to
 * look into), or of another history. Either way it is no start for this replica.
 */
function refuse(err: unknown, url: string, refused: Refused): null {
  if (!(err instanceof CheckpointNotInLog)) throw err
  refused.push({ url, reason: err.message, ...(err.fraudProof ? { fraudProof: err.fraudProof } : {}) })
  return null
}

async function started(dir: string, report: VerifyReport, url: string, got: { checkpoint: VerifiedStateCheckpoint; chunks: StateChunk[] }, opts: SyncOptions, refused: Refused): Promise<SyncReport> {
  const { checkpoint, chunks } = got
  if (opts.keep !== false) await writeStateCheckpoint(dir, { manifest: checkpoint.manifest, chunks })
  const { length, keys, chunks: count } = checkpoint.manifest
  return { ...report, start: { from: 'checkpoint', url, length, keys, chunks: count }, refused }
}
