// `glassbox join`: take part in a database that runs on another machine (seed 001 §2.4).

import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { isPubkeyHex } from '../../codec/hash.js'
import { GlassboxError, UsageError } from '../../errors.js'
import { readManifest } from '../../log/manifest.js'
import { writeNetworkFile } from '../../net/network-file.js'
import type { ReplicateOptions } from '../../net/replicate-database.js'
import { joinDatabase } from '../../participant/join.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import { printResult } from '../output.js'
import { openDatabase } from '../session.js'
import { loadReaderKey } from '../reader-key.js'

export interface JoinParameters {
  key: string
  dir: string
  oplog: string
  network: ReplicateOptions
  /** Fetch the index log now, to show the contract (default true). */
  fetch: boolean
  /** Start the replica from the state checkpoint these sources serve (docs/protocol.md §12.3): URLs, or 'swarm'. */
  fromCheckpoint?: string[]
  /** A confidential database: the key pair that opens its sealed checkpoint (§17.8). */
  readerKeyFile?: string
}

export interface JoinReturnType {
  dir: string
  key: string
  oplog: { name: string; pubkey: string }
  /** Null when the index was not fetched (--no-fetch). */
  contract: { methods: string[] } | null
  length: number | null
  /** Whether the new oplog is an input already. */
  input: boolean
  /** A confidential database (docs/protocol.md §17) this directory is not a member of yet: nothing of it can be read here until it is. */
  confidential?: { member: false }
  /** With --from-checkpoint: the checkpoint the replica started from (its length and source), and the entries verified after it. */
  checkpoint?: { length: number; url: string; verified: number }
}

export async function join(p: JoinParameters): Promise<JoinReturnType> {
  const before = await entriesOf(p.dir)
  const rejoined = (await readManifest(p.dir)) !== null
  const checkpoint = p.fromCheckpoint ? await startFromCheckpoint(p, rejoined, before) : undefined
  const joined = await joinDatabase(p.dir, p.key, p.oplog)
  await writeNetworkFile(p.dir, p.network)
  const result: JoinReturnType = { dir: path.resolve(p.dir), key: joined.key, oplog: joined.oplog, contract: null, length: null, input: false, ...(checkpoint ? { checkpoint } : {}) }
  if (!p.fetch) return result
  try {
    // A confidential database is not waited for here: joining is how one asks to be let in.
    const db = await openDatabase(p.dir, { network: p.network, membershipTimeoutMs: 0 }).catch((err: GlassboxError) => {
      if (err.code === 'NOT_A_MEMBER') return null
      throw err
    })
    if (!db) return { ...result, confidential: { member: false } }
    try {
      const info = await db.info()
      return { ...result, contract: { methods: info.contract.methods }, length: info.length, input: info.inputs.includes(joined.oplog.pubkey) }
    } finally {
      await db.close()
    }
  } catch (err) {
    // A directory without the index would pass for a joined one until every later command failed.
    if (!rejoined) await removeAllBut(p.dir, before)
    const e = err as GlassboxError
    const left = rejoined ? `${p.dir} was joined before and is kept` : before === null ? `${p.dir} was removed` : `${p.dir} holds only what it held before`
    throw new GlassboxError(
      typeof e.code === 'string' ? e.code : 'JOIN_FAILED',
      `${e.message}: nothing was joined (${left}). Check the key, and that a peer serves the database on this network (\`glassbox serve --bootstrap …\` on the executor); --no-fetch joins without fetching now`,
      { cause: err },
    )
  }
}

/**
 * Syncs the new replica from a checkpoint (`glassbox sync`), so that it opens from it instead of
 * fetching and folding the whole history; refused when no source serves one that checks.
 */
async function startFromCheckpoint(p: JoinParameters, rejoined: boolean, before: Set<string> | null): Promise<JoinReturnType['checkpoint']> {
  if (!isPubkeyHex(p.key)) throw new UsageError('USAGE', `${p.key} is not a database key (64 lowercase hex characters)`)
  if (rejoined) throw new UsageError('USAGE', `${p.dir} is joined already: --from-checkpoint starts a new replica`)
  const { syncDatabase } = await import('../../net/state-sync.js')
  const readerKey = p.readerKeyFile ? await loadReaderKey(p.readerKeyFile) : undefined
  const report = await syncDatabase(p.dir, p.key, { ...p.network, from: p.fromCheckpoint!, ...(readerKey ? { readerKey } : {}) }).catch(async (err: Error) => {
    await removeAllBut(p.dir, before)
    throw err
  })
  if (report.start.from !== 'checkpoint' || !report.valid) {
    await removeAllBut(p.dir, before)
    const why = !report.valid ? `the log breaks the contract after it (${report.breach?.class ?? 'breach'}); check it with glassbox verify` : report.refused.map((r) => `${r.url}: ${r.reason}`).join('; ') || 'no source served one'
    throw new GlassboxError('CHECKPOINT_REFUSED', `no state checkpoint to start from: ${why}. Nothing was joined`)
  }
  return { length: report.start.length, url: report.start.url, verified: report.verified }
}

/** The names in `dir`, or null when there is no such directory. */
async function entriesOf(dir: string): Promise<Set<string> | null> {
  try {
    return new Set(await readdir(dir))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

async function removeAllBut(dir: string, keep: Set<string> | null): Promise<void> {
  if (keep === null) return rm(dir, { recursive: true, force: true })
  for (const name of await readdir(dir)) if (!keep.has(name)) await rm(path.join(dir, name), { recursive: true, force: true })
}

/** The executor's directory, which the user knows and join does not: they fill it in. */
export const EXECUTOR_DIR = '<EXECUTOR_DIR>'

function human(r: JoinReturnType): string {
  const lines = [`joined database ${r.key}`, `  in ${r.dir}`, `oplog ${r.oplog.name} ${r.oplog.pubkey}`]
  if (r.checkpoint) lines.push(`  started from the state checkpoint at length ${r.checkpoint.length} of ${r.checkpoint.url} (${r.checkpoint.verified} entries verified)`)
  if (r.contract) lines.push(`  index ${r.length} entries, contract methods: ${r.contract.methods.join(', ') || '(none)'}`)
  if (r.confidential) {
    lines.push(
      'a confidential database: nothing of it is readable here until a member makes this oplog an input',
      `  (in examples/kv-store.js the admin runs: glassbox call addParticipant --pubkey ${r.oplog.pubkey} --dir ${EXECUTOR_DIR});`,
      '  then any command here, online, waits until the executor seals an epoch to this oplog',
    )
    return lines.join('\n')
  }
  if (r.input) {
    lines.push('this oplog is an input already: calls made here will be processed')
    return lines.join('\n')
  }
  const add = `glassbox call addParticipant --pubkey ${r.oplog.pubkey} --dir ${EXECUTOR_DIR}`
  if (r.contract?.methods.includes('addParticipant')) {
    lines.push(`next: the admin adds this oplog as an input, from the admin's directory (${EXECUTOR_DIR} when the executor's own oplog is the admin):`, `  ${add}`)
  } else {
    lines.push(
      "next: a participant the contract trusts makes this oplog an input, with the contract's own method for it",
      `  (in examples/kv-store.js the admin runs: ${add})`,
    )
  }
  return lines.join('\n')
}

export const joinCommand: Command = {
  name: 'join',
  summary: 'Join a database served elsewhere: make a local oplog and replicate its index log',
  usage: ['join <database-key> [--dir D] [--oplog NAME] [--no-fetch | --timeout S] [--from-checkpoint URL|swarm … [--reader-key KEYFILE]] [--bootstrap H:P] [--json]'],
  flags: [
    ['--oplog NAME', 'the name of the local oplog to create (default "main")'],
    ['--no-fetch', 'do not go online now (the index is fetched by the next command)'],
    ['--timeout S', 'seconds to wait for a peer serving the database (default 30; same as --peer-timeout)'],
    ['--from-checkpoint URL', 'start the replica from the state checkpoint a peer serves (as `glassbox sync` does): it opens from it, without the history before it; `swarm` asks the peers met on the swarm'],
    ['--reader-key KEYFILE', "with --from-checkpoint, a confidential database: the key pair that opens its sealed checkpoint (a standby's: the executor's key file)"],
    ...NETWORK_FLAGS,
    ...COMMON_FLAGS,
  ],
  notes: [
    "Prints the new oplog's public key: the contract must add it as an input (an op from an existing",
    'participant, e.g. the admin) before calls made here are processed. D remembers the network, so later',
    'commands on D (serve, call, get, ...) go online without the flags. Run `glassbox serve --dir D` to stay',
    'online: the executor fetches ops from this oplog while some peer serves it.',
    'When no peer serves the index in time (a wrong key, the executor offline), join fails (exit 2) and removes',
    'what it made in D; --no-fetch makes the directory without checking.',
    'With --from-checkpoint the checkpoint is checked against its seal and the entries after it are verified',
    'first; a standby started so (serve --standby) needs no history before it.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('join', args, {
      ...COMMON_OPTIONS,
      ...NETWORK_OPTIONS,
      oplog: { type: 'string' },
      'no-fetch': { type: 'boolean' },
      timeout: { type: 'string' },
      'from-checkpoint': { type: 'string', multiple: true },
      'reader-key': { type: 'string' },
    })
    const [key] = positionals('join', given, ['<database-key>'])
    const oplog = values.oplog ?? 'main'
    if (!/^\S+$/.test(oplog)) throw new UsageError('USAGE', `oplog name "${oplog}" must be non-empty and without spaces`)
    if (values.timeout !== undefined && values['peer-timeout'] !== undefined) throw new UsageError('USAGE', '--timeout and --peer-timeout are the same flag; give one')
    if (values.timeout !== undefined && values['no-fetch']) throw new UsageError('USAGE', '--timeout bounds the fetch; it cannot go with --no-fetch')
    const network = networkFromFlags({ ...values, 'peer-timeout': values['peer-timeout'] ?? values.timeout })
    if (network.timeoutMs === 0) throw new UsageError('USAGE', '--timeout must be at least 1 second')
    const fromCheckpoint = values['from-checkpoint']
    if (fromCheckpoint && values['no-fetch']) throw new UsageError('USAGE', '--from-checkpoint fetches the checkpoint now: not with --no-fetch')
    if (values['reader-key'] !== undefined && !fromCheckpoint) throw new UsageError('USAGE', '--reader-key opens a sealed checkpoint: it goes with --from-checkpoint')
    const result = await join({
      key,
      dir: values.dir ?? DEFAULT_DIR,
      oplog,
      network,
      fetch: !values['no-fetch'],
      ...(fromCheckpoint ? { fromCheckpoint } : {}),
      ...(values['reader-key'] !== undefined ? { readerKeyFile: values['reader-key'] } : {}),
    })
    printResult(io, values.json ?? false, result, human)
    return EXIT.ok
  },
}
