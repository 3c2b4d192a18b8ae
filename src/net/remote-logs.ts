// The logs of a database on another machine, for a monitor: a local replica (a directory that
// keeps what was fetched, so a later run resumes) filled by replication from any peer serving it.
// Hypercore checks every block and every signed root it receives against the log's key; a peer
// that serves a log with another signed root for a length already held here is a fork, reported
// through `onFork` with both roots.

import type Hypercore from 'hypercore'
import type { HypercoreTreeNode } from 'hypercore'
import { toHex } from '../codec/hash.js'
import { LogStore } from '../log/store.js'
import { treeHash } from '../log/merkle.js'
import type { SignedRoot } from '../verify/breach.js'
import type { ReplayLogs } from '../verify/replay.js'
import type { NetworkOptions } from './network-options.js'
import { NetworkError } from '../errors.js'
import { DEFAULT_PEER_TIMEOUT_MS, replicateDatabase } from './replicate-database.js'
import { identityOf } from '../confidential/epochs.js'
import { KeyringError } from '../confidential/keyring.js'
import { openConfidential } from '../confidential/open.js'
import type { Replicator } from './replicator.js'
import type { CheckpointPeers } from './checkpoint-channel.js'

export interface RemoteLogsOptions extends NetworkOptions {
  /**
   * Fetch the index log from this entry on (a replica started from a state checkpoint); default 0.
   * Null: not yet, until `downloadIndex` says from where (a replica still looking for a checkpoint).
   */
  indexFrom?: number | null
  /**
   * Oplog (hex key) -> the last seq a state checkpoint's seal acknowledged: fetch each oplog from the
   * op after it, as the entries after the seal name no earlier op. Default: every oplog whole.
   */
  oplogsAfter?: Record<string, number>
  /** How long to wait for a peer serving the database when the replica is empty. */
  timeoutMs?: number
  /** A confidential database: a reader's key pair (64-byte secret key) that opens its epoch keys (docs/protocol.md §17). */
  readerKey?: Uint8Array
  /** Announce the replica so others can fetch from it too (a long-running monitor); default false. */
  announce?: boolean
  /**
   * How long the replay waits for a log to reach a length the index names before it stops without a
   * verdict (default `timeoutMs`). A long-running monitor passes Infinity: peers come and go, and it
   * waits for one that serves the log, saying so through `onWaiting`.
   */
  logTimeoutMs?: number
  /** Called every `noticeEveryMs` (default 10 s) while the replay waits for a log. */
  onWaiting?: (wait: LogWait) => void
  noticeEveryMs?: number
}

/** The replay is waiting for the log with hex key `log` to reach `length` (it has `has`) and hold block `seq`. */
export interface LogWait {
  log: string
  length: number
  has: number
  seq: number
  waitedMs: number
  peers: number
}

const DEFAULT_NOTICE_EVERY_MS = 10_000

/** A fork seen during replication: the log (null: the index) and the root the peer signed. */
export interface ReplicatedFork {
  oplog: string | null
  /** The conflicting root the peer sent (its length, tree hash and signature). */
  after: SignedRoot
}

export interface RemoteLogs {
  logs: ReplayLogs
  /** The replica's logs on disk (its claims log lives there too). */
  store: LogStore
  replicator: Replicator
  /** The peers' state checkpoints, and this replica's served to them (docs/protocol.md §12.4). */
  checkpoints: CheckpointPeers
  /** Starts fetching the index log from entry `from` on (when opened with `indexFrom: null`). */
  downloadIndex(from: number): void
  /** Sets `oplogsAfter` for the oplogs not opened yet. */
  downloadOplogsAfter(positions: Record<string, number>): void
  /** Called once per log when a peer serves a fork of it; returns what stops the calls. */
  onFork(listener: (fork: ReplicatedFork) => void): () => void
  /** Resolves once the peers connected now have answered for the index head (or after 5 s). */
  settle(): Promise<void>
  close(): Promise<void>
}

export async function openRemoteLogs(dir: string, key: string, opts: RemoteLogsOptions = {}): Promise<RemoteLogs> {
  const store = new LogStore(dir)
  await store.ready()
  const listeners: ((fork: ReplicatedFork) => void)[] = []
  const downloads: { destroy(): void }[] = []
  const watch = (core: Hypercore, oplog: string | null) => {
    core.once('conflict', (length: number, _fork: number, proof: { upgrade?: { nodes: HypercoreTreeNode[]; signature: Buffer } }) => {
      const upgrade = proof.upgrade
      const after: SignedRoot = {
        length,
        hash: upgrade ? toHex(treeHash(upgrade.nodes)) : '',
        signature: upgrade ? toHex(upgrade.signature) : null,
      }
      for (const l of listeners) l({ oplog, after })
    })
  }
  try {
    const index = await store.byPubkey(key)
    watch(index, null)
    const { indexFrom, readerKey, ...rest } = opts
    const { replicator, checkpoints } = await replicateDatabase(store, index, {
      ...rest,
      ...(indexFrom === null ? { downloadIndex: false } : indexFrom === undefined ? {} : { indexFrom }),
      checkpointsFrom: dir,
    })
    // A confidential database is replayed with the reader's epoch keys, or not at all.
    const confidential = await openConfidential(store, index, readerKey ? [identityOf(readerKey)] : [], { wait: true }).catch(async (err) => {
      await replicator.close()
      throw err
    })
    if (confidential && !confidential.keyring.holds(0)) {
      await replicator.close()
      const hint = readerKey ? 'the reader key given is not sealed to in any epoch' : 'give a reader key (--reader-key) or check the seals only (--seals-only)'
      throw new KeyringError('NOT_A_MEMBER', `database ${key.slice(0, 8)}… is confidential and this replica holds none of its keys: ${hint}`)
    }
    const opened = new Set<string>()
    let after: Record<string, number> = opts.oplogsAfter ?? {}
    const oplog = async (pubkey: string): Promise<Hypercore> => {
      const core = await store.byPubkey(pubkey)
      if (!opened.has(pubkey)) {
        opened.add(pubkey)
        watch(core, pubkey)
        // The replay reads every op in order: fetch ahead rather than one round trip per op.
        const last = Object.hasOwn(after, pubkey) ? after[pubkey] : -1
        downloads.push(core.download({ start: last + 1, end: -1 }))
      }
      return core
    }
    const timeoutMs = opts.logTimeoutMs ?? opts.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS
    const reach = async (core: Hypercore, length: number, seq: number): Promise<void> => {
      // The signed length the ack names (its root is checked), and the op's own block.
      const held = async () => core.length >= length && (seq >= length || (await core.has(seq)))
      if (await held()) return
      const started = Date.now()
      const deadline = started + timeoutMs
      const every = opts.noticeEveryMs ?? DEFAULT_NOTICE_EVERY_MS
      let noticeAt = started + every
      while (Date.now() < deadline && !core.closed) {
        const waited = new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer)
            core.off('append', done)
            core.off('download', done)
            resolve()
          }
          const timer = setTimeout(done, Math.min(1000, Math.max(0, deadline - Date.now())))
          core.on('append', done)
          core.on('download', done)
        })
        void core.update({ wait: true }).catch(() => {})
        await waited
        if (await held()) return
        replicator.lookAgain()
        if (opts.onWaiting && Date.now() >= noticeAt) {
          noticeAt = Date.now() + every
          opts.onWaiting({ log: toHex(core.key), length, has: core.length, seq, waitedMs: Date.now() - started, peers: replicator.peers })
        }
      }
      const within = Number.isFinite(timeoutMs) ? ` within ${Math.round(timeoutMs / 1000)} s` : ''
      throw new NetworkError('LOG_UNAVAILABLE', `no peer served log ${toHex(core.key).slice(0, 8)}… up to length ${length} with op ${seq}${within} (it has length ${core.length}); verification stopped there without a verdict`)
    }
    return {
      logs: { index, oplog, reach, ...(confidential ? { keyring: confidential.keyring } : {}) },
      store,
      replicator,
      checkpoints,
      downloadIndex: (from) => {
        downloads.push(index.download({ start: from, end: -1 }))
      },
      downloadOplogsAfter: (positions) => {
        after = positions
      },
      onFork: (l) => {
        listeners.push(l)
        return () => {
          const i = listeners.indexOf(l)
          if (i >= 0) listeners.splice(i, 1)
        }
      },
      settle: async () => {
        if (index.closed) return
        // Unref'd: a one-shot verify must not stay alive for the timer once the update answered.
        await Promise.race([index.update({ wait: true }).catch(() => false), new Promise((r) => setTimeout(r, 5000).unref())])
        // A refused upgrade is followed by the fork proof exchange; give it one round trip.
        if (!index.closed) await new Promise((r) => setTimeout(r, 200))
      },
      close: async () => {
        for (const d of downloads) d.destroy()
        await replicator.close()
        await store.close()
      },
    }
  } catch (err) {
    await store.close()
    throw err
  }
}
