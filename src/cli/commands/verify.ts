// `glassbox verify`: replay the logs and check every index entry against the contract.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { isPubkeyHex } from '../../codec/hash.js'
import { UsageError } from '../../errors.js'
import type { ReplicateOptions } from '../../net/replicate-database.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { jsonText, printResult } from '../output.js'
import { livenessText, progressPrinter, reportText, SEAL_TIMEOUT_FLAG, SEAL_TIMEOUT_HELP, OP_TIMEOUT_FLAG, OP_TIMEOUT_HELP, livenessFrom, livenessOf, type LivenessTimeouts } from '../report.js'
import { serverSession } from '../session.js'
import { proofFileName } from '../../verify/fraud-proof.js'
import type { VerifyReport } from '../../verify/monitor.js'
import { defaultCheckpointPath, verifyDirectory } from '../../verify/verify-dir.js'
import type { SyncReport } from '../../net/state-sync.js'
import { syncStartText } from './sync.js'

export interface VerifyParameters extends LivenessTimeouts {
  dir: string
  /** Verify the database with this key over the network, replicating into `dir` (see remote). */
  remote?: { key: string; network: ReplicateOptions; replicaIsTemporary: boolean; fromCheckpoint?: string[] }
  /** Resume from and update D/monitor.json instead of verifying from the start. */
  checkpoint: boolean
  /** Where to write the fraud proof of a breach (default D/fraud-proofs/<entry>-<class>.json). */
  proofOut?: string
  onProgress?: (done: number, total: number) => void
}
export type VerifyReturnType = Omit<VerifyReport, 'fraudProof'> & {
  /** With a breach: the file the fraud proof was written to, or null when it has none. */
  fraudProof?: string | null
  /** Why the breach has no fraud proof. */
  fraudProofReason?: string
}

export async function verify(p: VerifyParameters): Promise<VerifyReturnType> {
  return writeProof(await replay(p), p)
}

async function replay(p: VerifyParameters): Promise<VerifyReport> {
  const seal = livenessOf(p)
  if (p.remote?.fromCheckpoint) {
    const { syncDatabase } = await import('../../net/state-sync.js')
    const { writeRefusedProofs } = await import('./sync.js')
    // A temporary replica is removed afterwards: its proofs go to the working directory instead.
    const home = p.remote.replicaIsTemporary ? '.' : p.dir
    return writeRefusedProofs(home, await syncDatabase(p.dir, p.remote.key, {
      ...p.remote.network,
      from: p.remote.fromCheckpoint,
      keep: !p.remote.replicaIsTemporary,
      fraudProof: true,
      ...seal,
      ...(p.onProgress ? { onProgress: p.onProgress } : {}),
    }))
  }
  if (p.remote) {
    const { verifyRemote } = await import('../../net/remote-monitor.js')
    return verifyRemote(p.dir, p.remote.key, {
      ...p.remote.network,
      checkpointPath: p.checkpoint ? defaultCheckpointPath(p.dir) : null,
      fraudProof: true,
      ...seal,
      ...(p.onProgress ? { onProgress: p.onProgress } : {}),
    })
  }
  const server = await serverSession(p.dir)
  if (server) {
    try {
      return await server.request('verify', { checkpoint: p.checkpoint, fraudProof: true, ...seal })
    } finally {
      await server.close()
    }
  }
  // Opened as logs, not as a Database, so that a log with hostile entries can still be judged.
  return verifyDirectory(p.dir, {
    checkpointPath: p.checkpoint ? defaultCheckpointPath(p.dir) : null,
    fraudProof: true,
    ...seal,
    ...(p.onProgress ? { onProgress: p.onProgress } : {}),
  })
}

/** Writes the proof the report carries to a file; the result names the file instead. */
async function writeProof(report: VerifyReport, p: VerifyParameters): Promise<VerifyReturnType> {
  const { fraudProof: built, ...rest } = report
  if (!report.breach || !built) return rest
  if (!built.proof) return { ...rest, fraudProof: null, fraudProofReason: built.reason }
  // A temporary replica is removed afterwards: its proofs go to the working directory instead.
  const home = p.remote?.replicaIsTemporary ? '.' : p.dir
  const file = path.resolve(p.proofOut ?? path.join(home, 'fraud-proofs', proofFileName(built.proof)))
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, jsonText(built.proof) + '\n')
  return { ...rest, fraudProof: file }
}

function verifyText(r: VerifyReturnType): string {
  const start = 'start' in r ? `${syncStartText(r as unknown as SyncReport)}\n` : ''
  const text = start + reportText(r as VerifyReport) + r.notices.map((n) => `\n${livenessText(n)}`).join('')
  if (r.fraudProof) return `${text}\nfraud proof written to ${r.fraudProof} (check it with: glassbox judge ${r.fraudProof})`
  if (r.fraudProofReason) return `${text}\nno fraud proof: ${r.fraudProofReason}`
  return text
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Replay the logs and check every index entry against the contract',
  usage: [
    'verify [--checkpoint] [--proof-out FILE] [--seal-timeout MS] [--op-timeout MS] [--dir D] [--json]',
    'verify <database-key> [--bootstrap H:P] [--dir REPLICA] [--checkpoint] [--proof-out FILE] [--seal-timeout MS] [--op-timeout MS] [--json]',
    'verify <database-key> --from-checkpoint URL|swarm [--from-checkpoint URL…] [--bootstrap H:P] [--dir REPLICA] [--json]',
  ],
  flags: [
    ['--checkpoint', 'resume from D/monitor.json and update it (default: verify from the start)'],
    ['--from-checkpoint URL', 'start from the state checkpoint a peer serves (see `glassbox sync`); repeat to name fallbacks; `swarm` asks the peers on the swarm'],
    ['--proof-out FILE', 'where to write the fraud proof of a breach (default D/fraud-proofs/<entry>-<class>.json)'],
    [SEAL_TIMEOUT_FLAG, SEAL_TIMEOUT_HELP],
    [OP_TIMEOUT_FLAG, OP_TIMEOUT_HELP],
    ...NETWORK_FLAGS,
    ...COMMON_FLAGS,
  ],
  notes: [
    'With a database key, the logs are fetched from peers on the DHT into D, a replica kept for next time',
    '(default: a temporary directory, removed afterwards; fraud proofs then go to ./fraud-proofs/). Every',
    "block is checked against the log's signed root as it arrives; a peer serving a fork is a breach.",
    'Exit codes: 0 valid, 1 a breach was found (the notice says which entry and why), 2 an error.',
    'A breach that can be proven gets a fraud proof file; `glassbox judge FILE` checks it without the logs.',
    'Entries left with no seal after them longer than --seal-timeout get a seal-overdue notice: the executor',
    'stopped sealing (liveness, not fraud: the exit code does not change). The clock starts when a run first',
    'sees them, so a one-shot run reports them only with --seal-timeout 0, or with --checkpoint on a later run.',
    "Likewise an input's op left unacknowledged longer than --op-timeout gets a notice that says what the",
    'executor did meanwhile: executor-silent (nothing), participant-starved (acknowledged other participants)',
    'or op-overdue, with the oplog head that holds the op and the index heads then and now as evidence.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('verify', args, { ...COMMON_OPTIONS, ...NETWORK_OPTIONS, checkpoint: { type: 'boolean' }, 'from-checkpoint': { type: 'string', multiple: true }, 'proof-out': { type: 'string' }, 'seal-timeout': { type: 'string' }, 'op-timeout': { type: 'string' } })
    const [key] = positionals('verify', given, ['<database-key>'], 1)
    const json = values.json ?? false
    if (key !== undefined && !isPubkeyHex(key)) throw new UsageError('USAGE', `${key} is not a database key (64 lowercase hex characters)`)
    const fromCheckpoint = values['from-checkpoint']
    if (fromCheckpoint && key === undefined) throw new UsageError('USAGE', '--from-checkpoint needs a database key: it starts a replica of a remote database')
    if (fromCheckpoint && values.checkpoint) throw new UsageError('USAGE', '--from-checkpoint and --checkpoint do not go together: the first starts after a state checkpoint, the second resumes a replay from genesis')
    if (key !== undefined && values.checkpoint && values.dir === undefined) throw new UsageError('USAGE', '--checkpoint with a database key needs --dir (where the replica and the checkpoint are kept)')
    const replica = key !== undefined && values.dir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'glassbox-replica-')) : null
    try {
      const result = await verify({
        dir: replica ?? values.dir ?? DEFAULT_DIR,
        ...(key !== undefined ? { remote: { key, network: networkFromFlags(values), replicaIsTemporary: replica !== null, ...(fromCheckpoint ? { fromCheckpoint } : {}) } } : {}),
        checkpoint: values.checkpoint ?? false,
        ...(values['proof-out'] === undefined ? {} : { proofOut: values['proof-out'] }),
        ...livenessFrom(values),
        ...(json ? {} : { onProgress: progressPrinter() }),
      })
      printResult(io, json, result, verifyText)
      return result.valid ? EXIT.ok : EXIT.negative
    } finally {
      if (replica) await rm(replica, { recursive: true, force: true })
    }
  },
}
