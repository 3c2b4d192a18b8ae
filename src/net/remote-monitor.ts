// A monitor of a database on another machine (seed 001 §2.3): replicate its logs into a local
// replica and verify them there. Forks a peer serves during replication become the same breach
// notices as a rewrite found in local logs.

import { Monitor, type MonitorOptions, type VerifyReport } from '../verify/monitor.js'
import { openRemoteLogs, type RemoteLogs, type RemoteLogsOptions } from './remote-logs.js'

export interface RemoteMonitor {
  monitor: Monitor
  remote: RemoteLogs
  /** True once a peer served a fork (the monitor has reported it). */
  readonly forked: boolean
  /** Stops the monitor and leaves the network. */
  close(): Promise<void>
}

export async function openRemoteMonitor(dir: string, key: string, opts: RemoteLogsOptions & MonitorOptions = {}): Promise<RemoteMonitor> {
  const remote = await openRemoteLogs(dir, key, opts)
  try {
    return await watchRemote(remote, opts)
  } catch (err) {
    await remote.close()
    throw err
  }
}

/**
 * A monitor over logs already on the network; closing it closes them. If the monitor cannot open
 * (a checkpoint the log refutes, say), the logs stay open for another try.
 */
export async function watchRemote(remote: RemoteLogs, opts: MonitorOptions = {}): Promise<RemoteMonitor> {
  const monitor = new Monitor(remote.logs, opts)
  let forked = false
  const unwatch = remote.onFork((fork) => {
    forked = true
    void monitor.forkServed(fork).catch((err) => monitor.emit('error', err))
  })
  try {
    await monitor.open()
  } catch (err) {
    unwatch()
    throw err
  }
  return {
    monitor,
    remote,
    get forked() {
      return forked
    },
    close: async () => {
      await monitor.stop()
      await remote.close()
    },
  }
}

/** Replicates the database `key` into `dir` and verifies it up to the head peers serve. */
export async function verifyRemote(dir: string, key: string, opts: RemoteLogsOptions & MonitorOptions = {}): Promise<VerifyReport> {
  return verifyToHead(await openRemoteMonitor(dir, key, opts))
}

/** Verifies up to the head peers serve, then closes the monitor and its logs. */
export async function verifyToHead(m: RemoteMonitor): Promise<VerifyReport> {
  try {
    try {
      const { index } = m.remote.logs
      const fork = index.fork
      const report = await m.monitor.verifyToHead()
      // A replica that held entries already may have verified them before a peer's conflicting head
      // was checked (Hypercore asks the peer for a proof of the fork first), or before it followed
      // a peer's rewrite: ask for the head once more, which returns after that exchange, before
      // calling the replica valid. A replica that has moved to another fork since is verified again.
      if (report.valid && !m.forked) await m.remote.settle()
      return report.valid && (m.forked || index.fork !== fork) ? await m.monitor.verifyToHead() : report
    } catch (err) {
      // A fork closes the replica's sessions under the pass; the report then carries the notice.
      if (m.forked) return await m.monitor.verifyToHead()
      throw err
    }
  } finally {
    await m.close()
  }
}
