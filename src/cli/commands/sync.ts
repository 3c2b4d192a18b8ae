// `glassbox sync`: start a replica of a remote database from a state checkpoint instead of genesis,
// then verify every entry after it (docs/protocol.md §12.2).

import { isPubkeyHex } from '../../codec/hash.js'
import { UsageError } from '../../errors.js'
import type { SyncReport } from '../../net/state-sync.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import { COMMON_FLAGS, COMMON_OPTIONS, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { proofFileName } from '../../verify/fraud-proof.js'
import { jsonText, printResult } from '../output.js'
import { loadReaderKey } from '../reader-key.js'
import { progressPrinter, reportText } from '../report.js'

/**
 * Writes the fork proof of each source refused for a seal the log contradicts to D/fraud-proofs/,
 * and names the file in its reason.
 */
export async function writeRefusedProofs(dir: string, r: SyncReport): Promise<SyncReport> {
  const refused = []
  for (const s of r.refused) {
    if (!s.fraudProof) {
      refused.push(s)
      continue
    }
    const file = path.resolve(dir, 'fraud-proofs', proofFileName(s.fraudProof))
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, jsonText(s.fraudProof) + '\n')
    refused.push({ ...s, reason: `${s.reason}; fraud proof written to ${file} (check it with: glassbox judge ${file})` })
  }
  return { ...r, refused }
}

/** The report's first lines: where verification started, and the sources refused on the way. */
export function syncStartText(r: SyncReport): string {
  const refused = r.refused.map((s) => `refused ${s.url}: ${s.reason}`)
  const start =
    r.start.from === 'checkpoint'
      ? `started from the state checkpoint at length ${r.start.length} of ${r.start.url} (${r.start.keys} keys in ${r.start.chunks} chunks, checked against its seal)`
      : `started from genesis${r.refused.length > 0 ? ': no source served a checkpoint that checks' : ''}`
  return [...refused, start].join('\n')
}

function syncText(r: SyncReport): string {
  return `${syncStartText(r)}\n${reportText(r)}\nstate root ${r.stateRoot}`
}

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Start a replica of a remote database from a state checkpoint, then verify the entries after it',
  usage: ['sync <database-key> --dir REPLICA [--from URL|swarm …] [--length N] [--reader-key KEYFILE] [--bootstrap H:P] [--json]'],
  flags: [
    ['--from URL', 'the HTTP API (`serve --http`) of a peer keeping state checkpoints; repeat to name fallbacks, tried in order'],
    ['--from swarm', 'ask the peers met on the swarm, highest checkpoint first (the default when no --from is given)'],
    ['--length N', 'the checkpoint at this index length (default: the highest the peer keeps)'],
    ['--reader-key KEYFILE', "a confidential database: open its sealed checkpoint and verify with a reader's key pair (`glassbox key KEYFILE`; named at `init --reader`)"],
    ...NETWORK_FLAGS,
    ...COMMON_FLAGS,
  ],
  notes: [
    'Every `serve` (and every replica that keeps checkpoints) answers for them on its swarm connections too.',
    "The checkpoint is checked before it is used: its seal must be signed by the database key, each chunk's",
    "range proof must hold at the seal's state root, and its oplog positions must be the ones the seal signs.",
    'The logs are then fetched from peers on the DHT into REPLICA from that seal on, and every later entry is',
    'verified as `glassbox verify` does. A peer that is unreachable or serves a checkpoint that does not check',
    'is named and the next source is tried; with none left, the replica is verified from genesis. The',
    'checkpoint is kept in REPLICA/state-checkpoints, so a `serve --http` there can serve it in turn.',
    "A confidential database's checkpoints are sealed: only a member (--reader-key) opens them, and the",
    'replica keeps and serves them sealed.',
    'Exit codes: 0 valid, 1 a breach after the checkpoint, 2 an error.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('sync', args, { ...COMMON_OPTIONS, ...NETWORK_OPTIONS, from: { type: 'string', multiple: true }, length: { type: 'string' }, 'reader-key': { type: 'string' } })
    const [key] = positionals('sync', given, ['<database-key>'])
    if (key === undefined || !isPubkeyHex(key)) throw new UsageError('USAGE', `${key ?? 'nothing'} is not a database key (64 lowercase hex characters)`)
    // 'swarm' is SWARM_SOURCE, named here without loading the network stack for a usage error.
    const from = values.from ?? ['swarm']
    if (values.dir === undefined) throw new UsageError('USAGE', 'sync needs --dir: where the replica is kept')
    const length = intFlag('length', values.length)
    const json = values.json ?? false
    const readerKey = values['reader-key'] === undefined ? undefined : await loadReaderKey(values['reader-key'])
    const { syncDatabase } = await import('../../net/state-sync.js')
    const report = await writeRefusedProofs(
      values.dir,
      await syncDatabase(values.dir, key, {
        ...networkFromFlags(values),
        from,
        ...(length === undefined ? {} : { length }),
        ...(readerKey ? { readerKey } : {}),
        ...(json ? {} : { onProgress: progressPrinter(), onChunk: progressPrinter(process.stderr, 'checking checkpoint chunks') }),
      }),
    )
    printResult(io, json, report, syncText)
    return report.valid ? EXIT.ok : EXIT.negative
  },
}
