// `glassbox verify`: replay the logs and check every index entry against the contract.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { isPubkeyHex } from '../../codec/hash.js'
import { UsageError } from '../../errors.js'
import type { ReplicateOptions } from '../../net/replicate-database.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { loadReaderKey } from '../reader-key.js'
import { jsonText, printResult } from '../output.js'
import { livenessText, progressPrinter, reportText, SEAL_TIMEOUT_FLAG, SEAL_TIMEOUT_HELP, OP_TIMEOUT_FLAG, OP_TIMEOUT_HELP, livenessFrom, livenessOf, type LivenessTimeouts } from '../report.js'
import { serverSession } from '../session.js'
import { proofFileName } from '../../verify/fraud-proof.js'
import type { VerifyReport } from '../../verify/monitor.js'
import type { BatchReport } from '../../verify/batch/batch-verify.js'
import { defaultCheckpointPath, verifyDirectory } from '../../verify/verify-dir.js'
import type { SyncReport } from '../../net/state-sync.js'
import type { SealCheckReport } from '../../confidential/seal-check.js'
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
  /** Validate segments between state checkpoints on this many workers (docs/protocol.md §14); 1: a full replay. */
  jobs?: number
  /** Validate only share i of n of the segments and sign a segment claim for each. */
  segment?: { i: number; n: number; claimOut: string; keyFile: string }
  /** A confidential database: the key file of a reader whose epoch keys open it. */
  readerKeyFile?: string
}
export type VerifyReturnType = Omit<VerifyReport, 'fraudProof'> & Partial<Pick<BatchReport, 'jobs' | 'segments' | 'total' | 'share'>> & {
  /** With --segment: the file the signed segment claims were written to, and how many. */
  claims?: { file: string; count: number; verifier: string }
  /** With a breach: the file the fraud proof was written to, or null when it has none. */
  fraudProof?: string | null
  /** Why the breach has no fraud proof. */
  fraudProofReason?: string
}

export async function verify(p: VerifyParameters): Promise<VerifyReturnType> {
  if (p.segment || (p.jobs ?? 1) > 1) return batch(p)
  return writeProof(await replay(p), p)
}

/** verify --jobs / --segment: segment by segment from the kept state checkpoints (docs/protocol.md §14). */
async function batch(p: VerifyParameters): Promise<VerifyReturnType> {
  const { verifyBatch } = await import('../../verify/batch/batch-verify.js')
  const report = await verifyBatch(p.dir, { jobs: p.jobs ?? 1, ...(p.segment ? { share: { i: p.segment.i, n: p.segment.n } } : {}) })
  const result = await writeProof(report, p)
  if (!p.segment) return result
  const [{ signSegmentClaim }, { loadOrCreateKey }] = await Promise.all([import('../../claims/segment-claim.js'), import('../../claims/verifier-key.js')])
  const secretKey = await loadOrCreateKey(p.segment.keyFile)
  const time = Math.floor(Date.now() / 1000)
  const claims = report.segments.map((r) =>
    signSegmentClaim(
      { database: report.key, from: r.from, to: r.to, start: r.startAt, end: r.endAt, result: r.valid ? 'valid' : 'breach', breach: r.breach ? { class: r.breach.class, seq: r.breach.seq } : null, time },
      secretKey,
    ),
  )
  const file = path.resolve(p.segment.claimOut)
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, jsonText(claims) + '\n')
  return { ...result, claims: { file, count: claims.length, verifier: Buffer.from(secretKey.subarray(32)).toString('hex') } }
}

async function replay(p: VerifyParameters): Promise<VerifyReport> {
  const seal = livenessOf(p)
  if (p.remote?.fromCheckpoint) {
    const { syncDatabase } = await import('../../net/state-sync.js')
    const { writeRefusedProofs } = await import('./sync.js')
    // A temporary replica is removed afterwards: its proofs go to the working directory instead.
    const home = p.remote.replicaIsTemporary ? '.' : p.dir
    const readerKey = p.readerKeyFile ? await loadReaderKey(p.readerKeyFile) : undefined
    return writeRefusedProofs(home, await syncDatabase(p.dir, p.remote.key, {
      ...p.remote.network,
      ...(readerKey ? { readerKey } : {}),
      from: p.remote.fromCheckpoint,
      keep: !p.remote.replicaIsTemporary,
      fraudProof: true,
      ...seal,
      ...(p.onProgress ? { onProgress: p.onProgress } : {}),
    }))
  }
  if (p.remote) {
    const { verifyRemote } = await import('../../net/remote-monitor.js')
    const readerKey = p.readerKeyFile ? await loadReaderKey(p.readerKeyFile) : undefined
    return verifyRemote(p.dir, p.remote.key, {
      ...p.remote.network,
      ...(readerKey ? { readerKey } : {}),
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
  const readerKey = p.readerKeyFile ? await loadReaderKey(p.readerKeyFile) : undefined
  // Opened as logs, not as a Database, so that a log with hostile entries can still be judged.
  return verifyDirectory(p.dir, {
    ...(readerKey ? { readerKey } : {}),
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

function sealsText(r: SealCheckReport): string {
  const last = r.last ? `; the last signs length ${r.last.length}, state root ${r.last.stateRoot.slice(0, 16)}…` : ''
  const head = `confidential database ${r.key}: ${r.seals} seal(s) checked over ${r.length} entries (${r.sealedEntries} sealed, unread), ${r.epochs} epoch(s)${last}`
  if (!r.problem) return `${head}
seals valid: each is signed by the executor and signs the index log's tree hash at its length (entries, state and acks were not checked: this directory holds no key)`
  return `${head}
BREACH at #${r.problem.position}: ${r.problem.message}`
}

function segmentsText(r: VerifyReturnType): string {
  if (!r.segments) return ''
  const share = r.share ? `share ${r.share.i}/${r.share.n}: ` : ''
  const lines = [`\n${share}${r.segments.length} of ${r.total} segment(s) validated on ${r.jobs} job(s)`]
  for (const s of r.segments) lines.push(`  [${s.from}, ${s.to})${s.start === null ? ' from genesis' : ` from checkpoint ${s.start}`}: ${s.valid ? 'valid' : `breach at #${s.breach?.seq} (${s.breach?.class})`}, ${s.ops} ops`)
  if (r.claims) lines.push(`${r.claims.count} signed segment claim(s) by ${r.claims.verifier.slice(0, 16)}… written to ${r.claims.file} (check coverage with: glassbox coverage ${r.claims.file} …)`)
  return lines.join('\n')
}

function verifyText(r: VerifyReturnType): string {
  const start = 'start' in r ? `${syncStartText(r as unknown as SyncReport)}\n` : ''
  const text = start + reportText(r as VerifyReport) + segmentsText(r) + r.notices.map((n) => `\n${livenessText(n)}`).join('')
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
    'verify <database-key> --from-checkpoint URL|swarm [--from-checkpoint URL…] [--reader-key KEYFILE] [--bootstrap H:P] [--dir REPLICA] [--json]',
    'verify --jobs N [--proof-out FILE] [--dir D] [--json]',
    'verify --segment I/N --claim-out FILE [--key KEYFILE] [--jobs N] [--dir D] [--json]',
    'verify [<database-key> [--bootstrap H:P]] [--reader-key KEYFILE | --seals-only] [--dir D] [--json]   (a confidential database)',
  ],
  flags: [
    ['--checkpoint', 'resume from D/monitor.json and update it (default: verify from the start)'],
    ['--from-checkpoint URL', 'start from the state checkpoint a peer serves (see `glassbox sync`); repeat to name fallbacks; `swarm` asks the peers on the swarm'],
    ['--proof-out FILE', 'where to write the fraud proof of a breach (default D/fraud-proofs/<entry>-<class>.json)'],
    [SEAL_TIMEOUT_FLAG, SEAL_TIMEOUT_HELP],
    [OP_TIMEOUT_FLAG, OP_TIMEOUT_HELP],
    ['--jobs N', 'validate the segments between the kept state checkpoints (`init --checkpoint-every K`) on N workers, child processes (default 1: one full replay)'],
    ['--segment I/N', 'validate only share I (1..N) of the segments, so that N machines split the history; needs --claim-out'],
    ['--claim-out FILE', 'with --segment: write a signed segment claim for each segment validated (check them with `glassbox coverage`)'],
    ['--key KEYFILE', 'with --segment: the verifier key pair that signs the claims (default D/verifier-key.json, created if absent)'],
    ['--reader-key KEYFILE', "a confidential database: verify in full with a reader's key pair (`glassbox key KEYFILE`; the executor names it with `init --reader`)"],
    ['--seals-only', 'a confidential database, without a key: check every seal (signature, length, tree hash) and the keys log, not the entries'],
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
    'With --jobs or --segment, each segment starts from its state checkpoint (checked against its seal) and ends',
    "at the next one's seal; segment results must chain. A breach gives the same notice and fraud proof as a full replay.",
    "A confidential database is verified in full with the keys of the directory's own oplogs or of --reader-key;",
    'a directory that holds none is refused (NOT_A_MEMBER) and can still check the seals with --seals-only.',
    "Its state checkpoints are sealed: --from-checkpoint opens them with the same keys.",
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('verify', args, { ...COMMON_OPTIONS, ...NETWORK_OPTIONS, checkpoint: { type: 'boolean' }, 'from-checkpoint': { type: 'string', multiple: true }, 'proof-out': { type: 'string' }, 'seal-timeout': { type: 'string' }, 'op-timeout': { type: 'string' }, jobs: { type: 'string' }, segment: { type: 'string' }, 'claim-out': { type: 'string' }, key: { type: 'string' }, 'reader-key': { type: 'string' }, 'seals-only': { type: 'boolean' } })
    const [key] = positionals('verify', given, ['<database-key>'], 1)
    const json = values.json ?? false
    if (key !== undefined && !isPubkeyHex(key)) throw new UsageError('USAGE', `${key} is not a database key (64 lowercase hex characters)`)
    const fromCheckpoint = values['from-checkpoint']
    if (fromCheckpoint && key === undefined) throw new UsageError('USAGE', '--from-checkpoint needs a database key: it starts a replica of a remote database')
    if (fromCheckpoint && values.checkpoint) throw new UsageError('USAGE', '--from-checkpoint and --checkpoint do not go together: the first starts after a state checkpoint, the second resumes a replay from genesis')
    if (key !== undefined && values.checkpoint && values.dir === undefined) throw new UsageError('USAGE', '--checkpoint with a database key needs --dir (where the replica and the checkpoint are kept)')
    const jobs = intFlag('jobs', values.jobs)
    if (jobs === 0) throw new UsageError('USAGE', '--jobs must be at least 1')
    const share = values.segment === undefined ? undefined : /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(values.segment)
    if (share === null || (share && Number(share[1]) > Number(share[2]))) throw new UsageError('USAGE', `--segment ${values.segment} is not I/N with 1 <= I <= N`)
    if (share && values['claim-out'] === undefined) throw new UsageError('USAGE', '--segment needs --claim-out FILE: the signed segment claims are its result')
    if (!share && (values['claim-out'] !== undefined || values.key !== undefined)) throw new UsageError('USAGE', '--claim-out and --key go with --segment I/N')
    if ((share || (jobs ?? 1) > 1) && (key !== undefined || values.checkpoint)) throw new UsageError('USAGE', '--jobs and --segment validate a local directory from its state checkpoints: not with a database key or --checkpoint')
    const dir = values.dir ?? DEFAULT_DIR
    if (values['seals-only'] && (share || (jobs ?? 1) > 1 || fromCheckpoint)) {
      throw new UsageError('USAGE', '--seals-only checks the seals of a confidential database without a key, and its state checkpoints are sealed: not with --jobs, --segment or --from-checkpoint')
    }
    if (values['reader-key'] !== undefined && (share || (jobs ?? 1) > 1)) {
      throw new UsageError('USAGE', "--jobs and --segment validate a member's own directory with its own keys: not with --reader-key")
    }
    if (values['seals-only'] && (values['reader-key'] !== undefined || values.checkpoint)) throw new UsageError('USAGE', '--seals-only checks every seal without a key: not with --reader-key or --checkpoint')
    if (values['seals-only']) {
      const onProgress = json ? undefined : progressPrinter()
      let report: SealCheckReport
      if (key === undefined) {
        const { checkDirectorySeals } = await import('../../verify/verify-dir.js')
        report = await checkDirectorySeals(dir, onProgress)
      } else {
        const { checkRemoteSeals } = await import('../../net/remote-seals.js')
        const replica = values.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'glassbox-replica-')))
        try {
          report = await checkRemoteSeals(replica, key, { ...networkFromFlags(values), ...(onProgress ? { onProgress } : {}) })
        } finally {
          if (values.dir === undefined) await rm(replica, { recursive: true, force: true })
        }
      }
      printResult(io, json, report, sealsText)
      return report.problem ? EXIT.negative : EXIT.ok
    }
    const batchFlags = {
      ...(jobs !== undefined ? { jobs } : {}),
      ...(share ? { segment: { i: Number(share[1]), n: Number(share[2]), claimOut: values['claim-out']!, keyFile: values.key ?? path.join(dir, 'verifier-key.json') } } : {}),
    }
    const replica = key !== undefined && values.dir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'glassbox-replica-')) : null
    try {
      const result = await verify({
        dir: replica ?? values.dir ?? DEFAULT_DIR,
        ...(key !== undefined ? { remote: { key, network: networkFromFlags(values), replicaIsTemporary: replica !== null, ...(fromCheckpoint ? { fromCheckpoint } : {}) } } : {}),
        checkpoint: values.checkpoint ?? false,
        ...(values['proof-out'] === undefined ? {} : { proofOut: values['proof-out'] }),
        ...livenessFrom(values),
        ...(json ? {} : { onProgress: progressPrinter() }),
        ...batchFlags,
        ...(values['reader-key'] !== undefined ? { readerKeyFile: values['reader-key'] } : {}),
      })
      printResult(io, json, result, verifyText)
      return result.valid ? EXIT.ok : EXIT.negative
    } finally {
      if (replica) await rm(replica, { recursive: true, force: true })
    }
  },
}
