// `glassbox dispute`: this directory's replica challenges a server's root (docs/protocol.md §13). The
// replica re-executes the history itself, plays the challenger against the server's /v1/disputes,
// refereeing the game as it goes, and returns the transcript with its verdict.

import { toHex } from '../codec/hash.js'
import { UsageError } from '../errors.js'
import type { ReplayLogs } from '../verify/replay.js'
import { readManifest } from '../log/manifest.js'
import { LogStore } from '../log/store.js'
import { disputeBounds, rangeWithin } from './bounds.js'
import type { Move } from './game.js'
import { HttpParty } from './http-party.js'
import { DisputeError, disputeId } from './messages.js'
import { LocalParty } from './party.js'
import { DEFAULT_DEADLINE_MS, referee } from './referee.js'
import { ReplayedRoots, SignedRoots } from './roots.js'
import { judgeDispute, type DisputeTranscript, type DisputeVerdict } from './transcript.js'

export interface ChallengeOptions {
  /** The agreed length (default: right after genesis). */
  from?: number
  /** The disputed length (default: the last seal's). */
  to?: number
  /** The defender's root at `to` to dispute (default: the one the executor signed there). */
  root?: string
  /** How long each answer may take, ms (default 120 s: the first may wait on a replay of half the range). */
  deadlineMs?: number
  onMove?: (move: Move, range: { lo: number; hi: number; round: number }) => void
  fetcher?: typeof fetch
}

export interface ChallengeResult {
  dispute: string
  from: number
  to: number
  transcript: DisputeTranscript
  verdict: DisputeVerdict
}

export async function challenge(dir: string, url: string, opts: ChallengeOptions = {}): Promise<ChallengeResult> {
  const defender = await HttpParty.connect(url, opts.fetcher)
  const { store, logs } = await localLogs(dir, defender.database)
  try {
    const secretKey = (await store.localClaims()).keyPair?.secretKey
    if (!secretKey) throw new DisputeError('NO_KEY', `${dir} holds no key pair to sign a dispute with`)
    const bounds = await disputeBounds(logs)
    const { from, to } = rangeWithin(bounds, opts.from, opts.to)
    const toRoot = opts.root ?? (await new SignedRoots(logs).rootAt(to))
    const challenger = new LocalParty(new Uint8Array(secretKey), (open) => new ReplayedRoots(logs, open.from))
    const open = await challenger.challenge({ database: toHex(logs.index.key), anchor: bounds.anchor, from, to, toRoot, defender: defender.key, deadline: opts.deadlineMs ?? DEFAULT_DEADLINE_MS })
    const transcript = await referee(open, defender, challenger, opts.onMove ? { onMove: (move, game) => opts.onMove!(move, { lo: game.lo, hi: game.hi, round: game.round }) } : {})
    return { dispute: disputeId(open), from, to, transcript, verdict: await judgeDispute(transcript) }
  } finally {
    await store.close()
  }
}

/**
 * The database's logs in `dir`: its own directory, or a replica (`verify <key> --dir`, `monitor`,
 * `sync`), which keeps no manifest. Opened writable for the key pair of the directory's claims log:
 * the challenger signs as this directory's monitor.
 */
async function localLogs(dir: string, database: string): Promise<{ store: LogStore; logs: ReplayLogs }> {
  const manifest = await readManifest(dir)
  if (manifest && manifest.key !== database) throw new UsageError('USAGE', `${dir} holds database ${manifest.key.slice(0, 8)}…, but the server defends ${database.slice(0, 8)}…`)
  const store = new LogStore(dir)
  await store.ready()
  const index = await store.byPubkey(database)
  if (index.length === 0) {
    await store.close()
    throw new UsageError('USAGE', `${dir} holds no entries of database ${database.slice(0, 8)}…: make a replica first (glassbox verify ${database} --dir ${dir})`)
  }
  return { store, logs: { index, oplog: (pubkey) => store.byPubkey(pubkey) } }
}
