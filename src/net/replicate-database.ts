// Puts a database's logs on the network: joins its topic, keeps a reader's copy of the index log
// downloading as it grows, and, for a reader that has none of it yet, waits until a peer serves it.

import type Hypercore from 'hypercore'
import { NetworkError } from '../errors.js'
import type { LogStore } from '../log/store.js'
import { DEFAULT_PEER_TIMEOUT_MS, type NetworkOptions } from './network-options.js'
import { Replicator } from './replicator.js'
import { CheckpointPeers } from './checkpoint-channel.js'
import { StandbyChannels } from '../failover/standby-channel.js'
import { headerIsClear } from '../confidential/open.js'

export interface ReplicateOptions extends NetworkOptions {
  /**
   * Announce the database so peers can connect (servers: `glassbox serve`). Default false: a one-shot
   * command only looks, and the connections it makes replicate both ways all the same.
   */
  announce?: boolean
  /** How long a reader with an empty index waits for a peer to serve it (default 30 s). */
  timeoutMs?: number
  /** Fetch the index log from this entry on (a replica started from a state checkpoint needs no earlier ones); default 0. */
  indexFrom?: number
  /** Where the state checkpoints this peer serves are kept (docs/protocol.md §12.4); null: none. */
  checkpointsFrom?: string | null
  /** Start downloading the index log at once (default true); false leaves it to `downloadIndex`. */
  downloadIndex?: boolean
}

/** A database on the network: the replicator of its logs, and the checkpoint channel beside them. */
export interface ReplicatedDatabase {
  replicator: Replicator
  checkpoints: CheckpointPeers
  /** Where an executor forwards blocks to its standby (docs/protocol.md §18.2). */
  standby: StandbyChannels
}

export { DEFAULT_PEER_TIMEOUT_MS }

/** Replicates every log of `logs` on the topic of `index`, the database's index log. */
export async function replicateDatabase(logs: LogStore, index: Hypercore, opts: ReplicateOptions = {}): Promise<ReplicatedDatabase> {
  const replicator = await Replicator.open(logs.corestore, opts)
  try {
    // On every connection before the first one is made: a peer that opens the channel first must find ours.
    // Only a database known to be in the clear serves checkpoints in the clear (§17.8).
    const checkpoints = new CheckpointPeers(replicator, index.discoveryKey, opts.checkpointsFrom ?? null, async () => !(await headerIsClear(index)))
    const standby = new StandbyChannels(replicator, index)
    await replicator.join(index.discoveryKey, { announce: opts.announce ?? false })
    if (!index.writable) {
      if (opts.downloadIndex !== false) index.download({ start: opts.indexFrom ?? 0, end: -1 })
      await syncIndex(index, replicator, opts.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS)
    }
    return { replicator, checkpoints, standby }
  } catch (err) {
    await replicator.close()
    throw err
  }
}

/**
 * Brings a reader's index up to a peer's head. With nothing local yet this must succeed (a database
 * cannot be opened without its genesis); with a local copy, a peer that does not answer in time
 * only means the copy may be behind, which following the log will fix.
 */
async function syncIndex(index: Hypercore, replicator: Replicator, timeoutMs: number): Promise<void> {
  const what = `database ${index.key.toString('hex').slice(0, 8)}…`
  if (index.length > 0) {
    await withTimeout(index.update({ wait: true }), Math.min(timeoutMs, 5000)).catch(() => {})
    return
  }
  const deadline = Date.now() + timeoutMs
  await replicator.waitForPeer(timeoutMs, what)
  while (index.length === 0 && Date.now() < deadline) {
    await withTimeout(index.update({ wait: true }), deadline - Date.now()).catch(() => {})
    if (index.length === 0) await new Promise((r) => setTimeout(r, 100))
  }
  if (index.length === 0) throw new NetworkError('NO_PEERS', `no peer served ${what} within ${Math.round(timeoutMs / 1000)} s`)
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new NetworkError('TIMEOUT', `timed out after ${ms} ms`)), Math.max(0, ms))
    promise.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}
