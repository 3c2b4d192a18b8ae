// `glassbox join`: take part in a database that runs on another machine (seed 001 §2.4).

import path from 'node:path'
import { UsageError } from '../../errors.js'
import { writeNetworkFile } from '../../net/network-file.js'
import type { ReplicateOptions } from '../../net/replicate-database.js'
import { joinDatabase } from '../../participant/join.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import { printResult } from '../output.js'
import { openDatabase } from '../session.js'

export interface JoinParameters {
  key: string
  dir: string
  oplog: string
  network: ReplicateOptions
  /** Fetch the index log now, to show the contract (default true). */
  fetch: boolean
}

export interface JoinReturnType {
  dir: string
  key: string
  oplog: { name: string; pubkey: string }
  /** Null when the index was not fetched (see `fetchError`). */
  contract: { methods: string[] } | null
  length: number | null
  /** Whether the new oplog is an input already. */
  input: boolean
  fetchError?: string
}

export async function join(p: JoinParameters): Promise<JoinReturnType> {
  const joined = await joinDatabase(p.dir, p.key, p.oplog)
  const { timeoutMs: _timeout, announce: _announce, ...remembered } = p.network
  await writeNetworkFile(p.dir, remembered)
  const result: JoinReturnType = { dir: path.resolve(p.dir), key: joined.key, oplog: joined.oplog, contract: null, length: null, input: false }
  if (!p.fetch) return result
  try {
    const db = await openDatabase(p.dir, { network: p.network })
    try {
      const info = await db.info()
      return { ...result, contract: { methods: info.contract.methods }, length: info.length, input: info.inputs.includes(joined.oplog.pubkey) }
    } finally {
      await db.close()
    }
  } catch (err) {
    // The directory and its oplog exist either way; the index arrives on the next command online.
    return { ...result, fetchError: (err as Error).message }
  }
}

function human(r: JoinReturnType): string {
  const lines = [`joined database ${r.key}`, `  in ${r.dir}`, `oplog ${r.oplog.name} ${r.oplog.pubkey}`]
  if (r.contract) lines.push(`  index ${r.length} entries, contract methods: ${r.contract.methods.join(', ') || '(none)'}`)
  if (r.fetchError) lines.push(`  the index was not fetched yet: ${r.fetchError}`)
  lines.push(
    r.input
      ? 'this oplog is an input already: calls made here will be processed'
      : 'next: a participant the contract trusts adds this oplog (for example kv-store: glassbox call addParticipant \'{"pubkey":"' + r.oplog.pubkey + '"}\')',
  )
  return lines.join('\n')
}

export const joinCommand: Command = {
  name: 'join',
  summary: 'Join a database served elsewhere: make a local oplog and replicate its index log',
  usage: ['join <database-key> [--dir D] [--oplog NAME] [--no-fetch] [--bootstrap H:P] [--json]'],
  flags: [
    ['--oplog NAME', 'the name of the local oplog to create (default "main")'],
    ['--no-fetch', 'do not go online now (the index is fetched by the next command)'],
    ...NETWORK_FLAGS,
    ...COMMON_FLAGS,
  ],
  notes: [
    "Prints the new oplog's public key: the contract must add it as an input (an op from an existing",
    'participant, e.g. the admin) before calls made here are processed. D remembers the network, so later',
    'commands on D (serve, call, get, ...) go online without the flags. Run `glassbox serve --dir D` to stay',
    'online: the executor fetches ops from this oplog while some peer serves it.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('join', args, { ...COMMON_OPTIONS, ...NETWORK_OPTIONS, oplog: { type: 'string' }, 'no-fetch': { type: 'boolean' } })
    const [key] = positionals('join', given, ['<database-key>'])
    const oplog = values.oplog ?? 'main'
    if (!/^\S+$/.test(oplog)) throw new UsageError('USAGE', `oplog name "${oplog}" must be non-empty and without spaces`)
    const result = await join({ key, dir: values.dir ?? DEFAULT_DIR, oplog, network: networkFromFlags(values), fetch: !values['no-fetch'] })
    printResult(io, values.json ?? false, result, human)
    if (result.fetchError && values.json) io.err(`glassbox: the index was not fetched yet: ${result.fetchError}`)
    return EXIT.ok
  },
}
