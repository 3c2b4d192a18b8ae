// `glassbox checkpoint`: the latest seal as a C2SP signed note, RFC 9162 proofs against it, and
// state checkpoints (the state at that seal, in chunks a new replica checks against it).

import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import type { CheckpointOutput, CheckpointParams } from '../../net/methods.js'
import { UsageError } from '../../errors.js'
import { jsonText, printResult } from '../output.js'
import { withSession } from '../session.js'

export interface CheckpointParameters extends CheckpointParams {
  dir: string
}
export type CheckpointReturnType = CheckpointOutput

export async function checkpoint(p: CheckpointParameters): Promise<CheckpointReturnType> {
  const { dir, ...params } = p
  return withSession(dir, (session) => session.request('checkpoint', params))
}

export const checkpointCommand: Command = {
  name: 'checkpoint',
  summary: 'Print the latest checkpoint as a signed note, or an accumulator proof against it; take a state checkpoint',
  usage: ['checkpoint [--dir D] [--json]', 'checkpoint --state [--chunk-size N] [--dir D] [--json]', 'checkpoint --inclusion N [--size S] [--dir D] [--json]', 'checkpoint --consistency M [--size S] [--dir D] [--json]'],
  flags: [
    ['--inclusion N', 'print the RFC 9162 inclusion proof of index entry N instead'],
    ['--consistency M', 'print the RFC 9162 consistency proof from the first M entries instead'],
    ['--size S', "the tree size to prove against (default: the checkpoint's)"],
    ['--state', 'also take a state checkpoint at the seal, kept in D/state-checkpoints/<length>'],
    ['--chunk-size N', 'entries per chunk of the state checkpoint (default 1024)'],
    ...COMMON_FLAGS,
  ],
  notes: [
    'The note is a C2SP tlog-checkpoint (origin glassbox/<database key>, tree size, accumulator root, then the',
    'state root and Hypercore tree hash as extension lines) signed by the index key. Any signed-note verifier',
    'configured with the printed verifier key (--json: verifierKey) checks it. Proof hashes are base64.',
    'A state checkpoint is what `glassbox sync` starts a new replica from instead of genesis; `serve --http`',
    'serves the ones kept in the directory (GET /v1/state-checkpoints). A confidential database\'s is sealed',
    'under the epoch in force at its length: only its members open it.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('checkpoint', args, {
      ...COMMON_OPTIONS,
      inclusion: { type: 'string' },
      consistency: { type: 'string' },
      size: { type: 'string' },
      state: { type: 'boolean' },
      'chunk-size': { type: 'string' },
    })
    positionals('checkpoint', given, [])
    const inclusion = intFlag('inclusion', values.inclusion)
    const consistency = intFlag('consistency', values.consistency)
    const size = intFlag('size', values.size)
    const chunkSize = intFlag('chunk-size', values['chunk-size'])
    if (chunkSize === 0) throw new UsageError('USAGE', '--chunk-size must be at least 1')
    if (chunkSize !== undefined && !values.state) throw new UsageError('USAGE', '--chunk-size needs --state')
    if (inclusion !== undefined && consistency !== undefined) throw new UsageError('USAGE', 'checkpoint takes --inclusion or --consistency, not both')
    if (size !== undefined && inclusion === undefined && consistency === undefined) throw new UsageError('USAGE', '--size needs --inclusion or --consistency')
    const result = await checkpoint({
      dir: values.dir ?? DEFAULT_DIR,
      ...(inclusion === undefined ? {} : { inclusion }),
      ...(consistency === undefined ? {} : { consistency }),
      ...(size === undefined ? {} : { size }),
      ...(values.state ? { state: true } : {}),
      ...(chunkSize === undefined ? {} : { chunkSize }),
    })
    printResult(io, values.json ?? false, result, (r) => {
      const text = r.proof ? jsonText(r.proof) : r.checkpoint.note.trimEnd()
      const s = r.state
      return s ? `${text}\n${s.sealed ? 'sealed ' : ''}state checkpoint at length ${s.length}: ${s.keys} keys in ${s.chunks} chunk${s.chunks === 1 ? '' : 's'} of up to ${s.chunkSize}, in ${s.path}` : text
    })
    return EXIT.ok
  },
}
