// `glassbox info`: what a database is, runs and holds.

import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import type { InfoOutput } from '../../net/methods.js'
import { printResult, table } from '../output.js'
import { withSession } from '../session.js'

export interface InfoParameters {
  dir: string
}
export type InfoReturnType = InfoOutput

export async function info(p: InfoParameters): Promise<InfoReturnType> {
  return withSession(p.dir, (session) => session.request('info', {}))
}

function human(r: InfoReturnType): string {
  const rows = [
    ['database', r.key],
    ['protocol', r.protocol],
    ['runtime', r.runtime],
    ['length', `${r.length} index entries`],
    ...(r.sandbox ? [['sandbox', `yes: a fork of ${r.sandbox.forkOf} made by glassbox sandbox (not the original database)`]] : []),
    ['executor', r.executor ? 'running' : r.readOnly ? 'not running (a copy of a database directory, opened read-only: run the executor only on the original)' : 'not running (this directory does not hold the index key pair)'],
    ['contract', `${r.contract.bytes} bytes; methods: ${r.contract.methods.join(', ') || '(none)'}`],
    ['module', r.contract.notStatic === null ? 'static: evaluated once per sandbox, its top-level values frozen' : `evaluated for every op: ${r.contract.notStatic}`],
    ...(r.confidential
      ? [['confidential', `yes: epoch ${r.confidential.epoch}, ${r.confidential.member ? 'this directory is a member' : 'this directory is not a member (it holds no key of the newest epoch)'}; readers ${r.confidential.readers.length}; ${r.confidential.rotateEvery ? `new epoch every ${r.confidential.rotateEvery} entries and` : 'new epoch'} at every change of members`]]
      : []),
    ...(r.failover?.standby ? [['standby', `${r.failover.standby} holds each block before the executor appends it${r.failover.namedByContract ? ' (named by the contract)' : ''}`]] : []),
    ...(r.failover?.standingBy ? [['standby', "this directory stands by for the executor (serve --standby)"]] : []),
    ...(r.failover?.tookOver ? [['failover', 'this directory took over as the executor (it holds executor.key)']] : []),
    ['keys', String(r.keys)],
    ['state root', r.stateRoot],
    ['served', r.server ? `by pid ${r.server.pid} on ${r.server.socket}` : 'no (opened directly)'],
    ['inputs', String(r.inputs.length)],
    ...r.inputs.map((k) => ['', k]),
    ['oplogs', String(r.oplogs.length)],
    ...r.oplogs.map((o) => ['', `${o.name} ${o.pubkey} length ${o.length}${o.input ? '' : ' (not an input)'}`]),
  ]
  return table(rows)
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'Describe the database: key, runtime, length, contract, inputs, local oplogs',
  usage: ['info [--dir D] [--json]'],
  flags: COMMON_FLAGS,
  async run(args, io) {
    const { values, positionals: given } = parseFlags('info', args, COMMON_OPTIONS)
    positionals('info', given, [])
    const result = await info({ dir: values.dir ?? DEFAULT_DIR })
    printResult(io, values.json ?? false, result, human)
    return EXIT.ok
  },
}
