// Chunk sync (docs/protocol.md §12.2): a new replica starts from a state checkpoint that a peer
// serves, over HTTP or over the swarm (§12.4), instead of from genesis. The checkpoint is checked
// against the seal it names (the database key's signature, a range proof per chunk, the oplog
// positions), then the replica verifies every entry after that seal as a monitor does. A source that
// cannot be reached or serves a checkpoint that does not check is named in the report and the next
// one is tried; with none left, the replica verifies from genesis.

import { fetchJson } from '../claims/light-client.js'
import { isSealedManifest, type CheckpointKeys } from '../confidential/sealed-checkpoint.js'
import { writeStateCheckpoint, type StoredCheckpoint } from '../state/checkpoint/checkpoint-files.js'
import { openStateCheckpoint, type VerifiedStateCheckpoint } from '../state/checkpoint/state-checkpoint.js'
import type { MonitorOptions, VerifyReport } from '../verify/monitor.js'
import { CheckpointNotInLog } from '../verify/replay.js'
import { defaultCheckpointPath } from '../verify/verify-dir.js'
import type { ForkProof } from '../verify/fraud-proof.js'
import type { CheckpointRequest, CheckpointSource } from './checkpoint-channel.js'
import { openRemoteLogs, type RemoteLogs, type RemoteLogsOptions } from './remote-logs.js'
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

/** A checkpoint that checked, and its parts as the source served them (sealed ones stay sealed when kept). */
export interface FetchedCheckpoint {
  checkpoint: VerifiedStateCheckpoint
  served: StoredCheckpoint
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

/** Fetches and checks a source's checkpoint; throws saying why it is refused. `keys` open a sealed one (§17.8). */
async function fetchFrom(source: CheckpointSource, database: string, opts: FetchOptions & { keys?: CheckpointKeys; manifest?: unknown }): Promise<FetchedCheckpoint> {
  const length = opts.length ?? (await highestListed(source))
  const manifest = opts.manifest ?? (await source.ask({ length }))
  const chunks: StoredCheckpoint['chunks'] = []
  const checkpoint = await openStateCheckpoint(
    manifest,
    database,
    async (i) => {
      const chunk = await source.ask({ length, chunk: i })
      chunks.push(chunk as StoredCheckpoint['chunks'][number])
      return chunk
    },
    { onChunk: (done, total) => opts.onChunk?.(done, total, source.name), ...(opts.keys ? { keys: opts.keys } : {}) },
  )
  return { checkpoint, served: { manifest: manifest as StoredCheckpoint['manifest'], chunks } }
}

/** Replicates database `key` into `dir`, starting from the first source's checkpoint that checks, and verifies to the head. */
export async function syncDatabase(dir: string, key: string, opts: SyncOptions): Promise<SyncReport> {
  const refused: SyncReport['refused'] = []
  // A kept replica keeps its monitor's position too, so `monitor --checkpoint` there goes on from it.
  const saved = opts.keep === false ? null : defaultCheckpointPath(dir)
  for (const from of opts.from) {
    const report = from === SWARM_SOURCE ? await fromRemote(dir, key, opts, saved, refused, swarmCandidates) : await fromUrl(from, dir, key, opts, saved, refused)
    if (report) return report
  }
  const report = await verifyRemote(dir, key, { ...opts, checkpointPath: saved })
  return { ...report, start: { from: 'genesis' }, refused }
}

type Refused = SyncReport['refused']

interface Candidate {
  source: CheckpointSource
  length: number
  manifest?: unknown
}

/**
 * Starts from the checkpoint an HTTP API serves. One in the clear is checked before the replica
 * joins the swarm; a sealed one (§17.8) needs the database's epoch keys, so the replica joins first.
 */
async function fromUrl(url: string, dir: string, key: string, opts: SyncOptions, saved: string | null, refused: Refused): Promise<SyncReport | null> {
  const source = httpSource(url, opts)
  let candidate: Candidate
  try {
    const length = opts.length ?? (await highestListed(source))
    candidate = { source, length, manifest: await source.ask({ length }) }
  } catch (err) {
    refused.push({ url, reason: (err as Error).message })
    return null
  }
  if (isSealedManifest(candidate.manifest)) return fromRemote(dir, key, opts, saved, refused, async () => [candidate])
  let got: FetchedCheckpoint
  try {
    got = await fetchFrom(source, key, { ...opts, length: candidate.length, manifest: candidate.manifest })
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

/** Every peer the DHT names for the database (not just the first to answer for the index), asked for its highest checkpoint. */
async function swarmCandidates(remote: RemoteLogs, opts: SyncOptions, refused: Refused): Promise<Candidate[]> {
  const timeout = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS
  await remote.replicator.flush(timeout)
  const candidates: Candidate[] = []
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
  if (candidates.length === 0 && remote.checkpoints.peers.length === 0) refused.push({ url: SWARM_SOURCE, reason: 'no peer was connected to ask' })
  return candidates.sort((a, b) => b.length - a.length)
}

/**
 * Starts from the first candidate's checkpoint that checks, over the replica's own connections: the
 * index log is fetched only from that checkpoint's seal, and a confidential database's keyring (the
 * reader key's) opens sealed checkpoints.
 */
async function fromRemote(dir: string, key: string, opts: SyncOptions, saved: string | null, refused: Refused, candidatesOf: (remote: RemoteLogs, opts: SyncOptions, refused: Refused) => Promise<Candidate[]>): Promise<SyncReport | null> {
  const remote = await openRemoteLogs(dir, key, { ...opts, indexFrom: null })
  let handedOver = false
  try {
    const keys = remote.logs.keyring
    for (const { source, length, manifest } of await candidatesOf(remote, opts, refused)) {
      let got: FetchedCheckpoint
      try {
        got = await fetchFrom(source, key, { ...opts, length, ...(manifest === undefined ? {} : { manifest }), ...(keys ? { keys } : {}) })
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

async function started(dir: string, report: VerifyReport, url: string, got: FetchedCheckpoint, opts: SyncOptions, refused: Refused): Promise<SyncReport> {
  const { checkpoint, served } = got
  // Kept as served: a sealed checkpoint stays sealed in the replica, which serves it in turn.
  if (opts.keep !== false) await writeStateCheckpoint(dir, served)
  const { length, keys, chunks: count } = checkpoint.manifest
  return { ...report, start: { from: 'checkpoint', url, length, keys, chunks: count }, refused }
}
