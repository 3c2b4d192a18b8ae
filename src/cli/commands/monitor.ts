// `glassbox monitor`: verify continuously, print breach notices and append them to a file.

import { loadReaderKey } from '../reader-key.js'
import { appendFile, mkdir } from 'node:fs/promises'
import { isPubkeyHex } from '../../codec/hash.js'
import { UsageError } from '../../errors.js'
import type { LogWait } from '../../net/remote-logs.js'
import type { ReplicateOptions } from '../../net/replicate-database.js'
import type { Monitor } from '../../verify/monitor.js'
import type { Claim } from '../../claims/claim.js'
import type { Claimer } from '../../claims/claimer.js'
import type Hypercore from 'hypercore'
import { toHex } from '../../codec/hash.js'
import type { LogStore } from '../../log/store.js'
import { signerOf } from '../../log/seal.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { inlineJson } from '../output.js'
import { shutdownSignal } from '../signals.js'
import { livenessText, noticeText, SEAL_TIMEOUT_FLAG, SEAL_TIMEOUT_HELP, OP_TIMEOUT_FLAG, OP_TIMEOUT_HELP, livenessFrom, livenessOf, type LivenessTimeouts } from '../report.js'
import { serverSession } from '../session.js'
import type { BreachNotice } from '../../verify/breach.js'
import { noticeKey, type LivenessNotice } from '../../verify/liveness.js'
import { defaultCheckpointPath, openLogs } from '../../verify/verify-dir.js'

export interface MonitorParameters extends LivenessTimeouts {
  dir: string
  /** Monitor the database with this key over the network, replicating into `dir`. */
  remote?: { key: string; network: ReplicateOptions }
  /** Where notices are appended, one JSON document per line. */
  noticesPath: string
  /** How often to ask a `serve` process for progress, in ms. */
  intervalMs: number
  onVerified(length: number): void
  onBreach(notice: BreachNotice): void
  /** Liveness notices (seal-overdue): printed, never a breach, never a reason to stop. */
  onNotice(notice: LivenessNotice): void
  /** Called now and then while a remote monitor waits for a log no connected peer serves yet. */
  onWaiting?(wait: LogWait): void
  /** Sign a claim about each checkpoint verified, into the directory's claims log (docs/protocol.md §11). */
  claim?: boolean
  onClaim?(claim: Claim): void
  /** Resolves when the monitor should stop. */
  until: Promise<unknown>
  /** A confidential database: a reader's key pair (64-byte secret key) that opens it (docs/protocol.md §17). */
  readerKey?: Uint8Array
}

/** Runs until `until` resolves or a breach is found; returns the breach, if any. */
export async function monitor(p: MonitorParameters): Promise<BreachNotice | null> {
  const record = async (notice: BreachNotice) => {
    await appendFile(p.noticesPath, JSON.stringify(notice) + '\n')
    p.onBreach(notice)
  }
  // Each liveness notice once: a seal-overdue one by the entry its unsealed tail starts at, an op
  // notice by its kind and op.
  const told = new Set<string>()
  const notice = (n: LivenessNotice) => {
    if (told.has(noticeKey(n))) return
    told.add(noticeKey(n))
    p.onNotice(n)
  }
  // Each verified length once: a monitor passes again when any log it watches grows (an oplog, or a
  // replica catching up), which verifies no further entry and would repeat the last line.
  let lastVerified = -1
  const verified = (length: number) => {
    if (length === lastVerified) return
    lastVerified = length
    p.onVerified(length)
  }
  const seal = livenessOf(p)
  const server = p.remote ? null : await serverSession(p.dir)
  if (server && p.claim) {
    await server.close()
    throw new UsageError('USAGE', `a glassbox serve process holds ${p.dir}: claim from it with \`glassbox serve --http PORT --claim\``)
  }
  if (server) {
    // The server holds the directory: poll it; its checkpoint makes each round incremental.
    try {
      let stopped = false
      void p.until.then(() => (stopped = true))
      while (!stopped) {
        const report = await server.request('verify', { checkpoint: true, ...seal })
        for (const n of report.notices ?? []) notice(n)
        if (report.breach) {
          await record(report.breach)
          return report.breach
        }
        verified(report.verified)
        await Promise.race([sleep(p.intervalMs), p.until])
      }
      return null
    } finally {
      await server.close()
    }
  }
  const opened = await openMonitor(p)
  const m = opened.monitor
  if (opened.claimer) {
    opened.claimer.on('claim', (c: Claim) => p.onClaim?.(c))
    opened.claimer.on('error', (err: Error) => m.emit('error', err))
  }
  // While the logs are quiet nothing else holds the event loop (Hypercore's listeners hold no
  // handle): without this, node exits with code 13 while the monitor still waits for `until`.
  const keepAlive = setInterval(() => {}, 2 ** 30)
  try {
    const breach = new Promise<BreachNotice>((resolve) => m.once('violation', resolve))
    m.on('verified', ({ length }: { length: number }) => verified(length))
    m.on('notice', notice)
    // `on`, not `once`: a second failure after the first must not become an uncaught 'error' event.
    const errors = new Promise<never>((_, reject) => m.on('error', reject))
    const first = await m.watch()
    for (const n of first.notices) notice(n)
    if (first.breach) {
      await record(first.breach)
      return first.breach
    }
    const ended = await Promise.race([breach, p.until.then(() => null), errors])
    if (ended) await record(ended)
    return ended
  } finally {
    clearInterval(keepAlive)
    await opened.close()
  }
}

/** A monitor of the logs in `dir`, or of a remote database replicated into `dir`; already open. */
async function openMonitor(p: MonitorParameters): Promise<{ monitor: Monitor; claimer: Claimer | null; close(): Promise<void> }> {
  const checkpointPath = defaultCheckpointPath(p.dir)
  const seal = livenessOf(p)
  if (p.remote) {
    const { openRemoteMonitor } = await import('../../net/remote-monitor.js')
    // Announced, so that other monitors and readers can fetch from this replica too.
    // A log no peer serves right now is waited for, however long: peers come and go.
    const remote = await openRemoteMonitor(p.dir, p.remote.key, { ...p.remote.network, ...seal, announce: true, checkpointPath, logTimeoutMs: Infinity, onWaiting: p.onWaiting, ...(p.readerKey ? { readerKey: p.readerKey } : {}) })
    try {
      // A replica may receive entries acknowledged before its cosignature: no time anchoring.
      const claimer = p.claim ? await claimerFor(remote.monitor, remote.remote.store, p.remote.key, remote.remote.logs.index, false) : null
      const close = async () => {
        // The claim in flight lands before the store it goes to closes.
        claimer?.detach()
        await claimer?.settled()
        await remote.close()
      }
      return { monitor: remote.monitor, claimer, close }
    } catch (err) {
      await remote.close()
      throw err
    }
  }
  const { store, logs, monitor: newMonitor } = await openLogs(p.dir, { writable: p.claim ?? false, ...(p.readerKey ? { readerKey: p.readerKey } : {}) })
  const monitor = newMonitor({ checkpointPath, ...seal })
  try {
    await monitor.open()
    const claimer = p.claim ? await claimerFor(monitor, store, toHex(logs.index.key), logs.index, true) : null
    return {
      monitor,
      claimer,
      close: async () => {
        claimer?.detach()
        await claimer?.settled()
        await monitor.stop()
        await store.close()
      },
    }
  } catch (err) {
    await monitor.stop()
    await store.close()
    throw err
  }
}

/** A claimer for `monitor`, into the claims log of the directory's store (its key pair is the monitor's identity). */
async function claimerFor(monitor: Monitor, store: LogStore, database: string, index: Hypercore, anchorTime: boolean): Promise<Claimer> {
  const { Claimer } = await import('../../claims/claimer.js')
  const { ClaimsLog } = await import('../../claims/claims-log.js')
  return Claimer.attach(monitor, new ClaimsLog(await store.localClaims()), database, toHex(signerOf(index)), { anchorTime })
}

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'Verify continuously as the logs grow; print breach notices and append them to a file',
  usage: [
    'monitor [--claim] [--notices FILE] [--interval MS] [--seal-timeout MS] [--op-timeout MS] [--reader-key KEYFILE] [--dir D] [--json]',
    'monitor <database-key> [--bootstrap H:P] [--dir REPLICA] [--claim] [--notices FILE] [--seal-timeout MS] [--op-timeout MS] [--reader-key KEYFILE] [--json]',
  ],
  flags: [
    ['--claim', "sign a claim about each checkpoint verified into D's claims log, a Hypercore whose key pair (kept in D) is the monitor's identity (docs/protocol.md §11)"],
    ['--notices FILE', 'append breach notices here, one JSON per line (default D/breaches.jsonl)'],
    ['--interval MS', 'how often to poll a running `glassbox serve` (default 1000)'],
    [SEAL_TIMEOUT_FLAG, SEAL_TIMEOUT_HELP],
    [OP_TIMEOUT_FLAG, OP_TIMEOUT_HELP],
    ['--reader-key KEYFILE', "a confidential database: monitor it with a reader's key pair (`glassbox key KEYFILE`; named at `init --reader`)"],
    ...NETWORK_FLAGS,
    ...COMMON_FLAGS,
  ],
  notes: [
    'With a database key, the logs are replicated from peers on the DHT into D (required), which keeps the',
    'replica and the checkpoint; the replica is announced so others can fetch from it too. A log that no',
    'connected peer serves yet is waited for, however long, with a line on stderr every 10 s (a one-shot',
    '`verify <database-key>` gives up after --peer-timeout instead, without a verdict).',
    'Resumes from D/monitor.json, so a restarted monitor does not start over.',
    'Stops on SIGINT/SIGTERM (exit 0) or at the first breach (exit 1): after a breach the',
    "executor's later entries cannot be trusted, so there is nothing further to verify.",
    'Entries left with no seal after them longer than --seal-timeout print a seal-overdue NOTICE line (the',
    'executor stopped sealing; also after a breach, whose proof needs that seal): liveness, not fraud, so the',
    'monitor goes on and the notice is not written to the breach file. An op an input published and the index',
    'has not acknowledged for --op-timeout prints an executor-silent, participant-starved or op-overdue NOTICE',
    'line the same way, with the signed heads that show it.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('monitor', args, {
      ...COMMON_OPTIONS,
      ...NETWORK_OPTIONS,
      notices: { type: 'string' },
      'reader-key': { type: 'string' },
      interval: { type: 'string' },
      'seal-timeout': { type: 'string' },
      'op-timeout': { type: 'string' },
      claim: { type: 'boolean' },
    })
    const [key] = positionals('monitor', given, ['<database-key>'], 1)
    if (key !== undefined && !isPubkeyHex(key)) throw new UsageError('USAGE', `${key} is not a database key (64 lowercase hex characters)`)
    if (key !== undefined && values.dir === undefined) throw new UsageError('USAGE', 'monitor <database-key> needs --dir (where the replica and the checkpoint are kept)')
    const dir = values.dir ?? DEFAULT_DIR
    const json = values.json ?? false
    if (key !== undefined) await mkdir(dir, { recursive: true })
    const readerKeyFile = values['reader-key']
    const readerKey = readerKeyFile === undefined ? undefined : await loadReaderKey(readerKeyFile)
    const breach = await monitor({
      dir,
      ...(readerKey ? { readerKey } : {}),
      ...(key !== undefined ? { remote: { key, network: networkFromFlags(values) } } : {}),
      noticesPath: values.notices ?? path.join(dir, 'breaches.jsonl'),
      intervalMs: intFlag('interval', values.interval) ?? 1000,
      until: shutdownSignal(io, 'stopping the monitor'),
      onVerified: (length) => io.out(json ? inlineJson({ verified: length }) : `verified ${length} index entries`),
      claim: values.claim ?? false,
      onClaim: (c) => io.out(json ? inlineJson({ claim: c }) : `claimed length ${c.length} state root ${c.stateRoot} as monitor ${c.monitor}`),
      onBreach: (notice) => io.out(json ? inlineJson({ breach: notice }) : noticeText(notice)),
      onNotice: (notice) => io.out(json ? inlineJson({ notice }) : livenessText(notice)),
      ...livenessFrom(values),
      onWaiting: (w) => io.err(`waiting ${Math.round(w.waitedMs / 1000)} s for a peer serving op ${w.seq} of log ${w.log.slice(0, 8)}… signed up to length ${w.length} (have length ${w.has}; ${w.peers} peers connected)`),
    })
    return breach ? EXIT.negative : EXIT.ok
  },
}
