// `glassbox init`: bundle a contract and create a database that runs it (seed 001 §3.2).

import { stat } from 'node:fs/promises'
import path from 'node:path'
import { isPubkeyHex } from '../../codec/hash.js'
import { UsageError } from '../../errors.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { printResult } from '../output.js'

export interface InitParameters {
  file: string
  dir: string
  /** Local oplogs to create and declare as inputs. */
  oplogs: string[]
  /** Public keys of other oplogs to declare as inputs. */
  inputs: string[]
  /** Keep a state checkpoint every this many entries (docs/protocol.md §14.1); 0 or absent: none. */
  checkpointEvery?: number
  /** A confidential database (docs/protocol.md §17): readers besides the inputs, and the rotation schedule. */
  confidential?: { readers: string[]; rotateEvery: number; publicContract?: boolean }
}

export interface InitReturnType {
  dir: string
  key: string
  oplogs: Record<string, string>
  inputs: string[]
  /** notStatic: why the module is evaluated for every op, or null when it is static (docs/protocol.md §6.2). */
  contract: { file: string; bytes: number; methods: string[]; notStatic: string | null }
  /** Present when the database keeps scheduled state checkpoints. */
  checkpointEvery?: number
  /** Present for a confidential database: its keys log, readers and rotation. */
  confidential?: { keys: string; readers: string[]; rotateEvery: number; publicContract?: true }
}

export async function init(p: InitParameters): Promise<InitReturnType> {
  const file = path.resolve(p.file)
  const found = await stat(file).catch(() => null)
  if (!found?.isFile()) throw new UsageError('CONTRACT_NOT_FOUND', `no contract file at ${p.file}`)
  // Loaded on use, like the database in session.ts, so `glassbox --help` starts fast.
  const [{ bundleContract }, { Database }] = await Promise.all([import('../../vm/bundle.js'), import('../../database.js')])
  const contract = await bundleContract(file)
  const db = await Database.create(p.dir, {
    contract,
    oplogs: p.oplogs,
    inputs: p.inputs,
    ...(p.checkpointEvery ? { checkpointEvery: p.checkpointEvery } : {}),
    ...(p.confidential ? { confidential: p.confidential } : {}),
  })
  try {
    const info = await db.info()
    return {
      dir: path.resolve(p.dir),
      key: db.key,
      oplogs: db.oplogs,
      inputs: info.inputs,
      contract: { file, bytes: info.contract.bytes, methods: info.contract.methods, notStatic: info.contract.notStatic },
      ...(p.checkpointEvery ? { checkpointEvery: p.checkpointEvery } : {}),
      ...(db.confidential ? { confidential: db.confidential.settings } : {}),
    }
  } finally {
    await db.close()
  }
}

function human(r: InitReturnType): string {
  const lines = [`created database ${r.key}`, `  in ${r.dir}`, `  contract ${r.contract.bytes} bytes, methods: ${r.contract.methods.join(', ') || '(none)'}`]
  // Said at creation, when the contract is still easy to change: a module evaluated for every op
  // costs every op its evaluation (docs/contracts.md, "Top-level values").
  if (r.contract.notStatic !== null) lines.push(`  module evaluated for every op (not static): ${r.contract.notStatic}`)
  const local = new Set(Object.values(r.oplogs))
  for (const [name, pubkey] of Object.entries(r.oplogs)) lines.push(`oplog ${name} ${pubkey}`)
  for (const pubkey of r.inputs) if (!local.has(pubkey)) lines.push(`input ${pubkey}`)
  if (r.checkpointEvery) lines.push(`state checkpoint every ${r.checkpointEvery} entries (in state-checkpoints/)`)
  if (r.confidential) {
    const every = r.confidential.rotateEvery ? `every ${r.confidential.rotateEvery} entries and ` : ''
    lines.push(`confidential: entries and ops sealed under epoch keys (keys log ${r.confidential.keys}); a new epoch ${every}whenever the members change`)
    if (r.confidential.publicContract) lines.push('the contract source stays public: anyone holding the log reads it')
    for (const reader of r.confidential.readers) lines.push(`reader ${reader}`)
  }
  return lines.join('\n')
}

const options = {
  ...COMMON_OPTIONS,
  input: { type: 'string', multiple: true },
  oplog: { type: 'string', multiple: true },
  'no-oplog': { type: 'boolean' },
  'checkpoint-every': { type: 'string' },
  confidential: { type: 'boolean' },
  reader: { type: 'string', multiple: true },
  'rotate-every': { type: 'string' },
  'public-contract': { type: 'boolean' },
} as const

export const initCommand: Command = {
  name: 'init',
  summary: 'Create a database that runs a contract',
  usage: ['init <contract-file> [--dir D] [--oplog NAME]... [--no-oplog] [--input KEY]... [--checkpoint-every K] [--confidential [--reader KEY]... [--rotate-every N] [--public-contract]] [--json]'],
  flags: [
    ['--oplog NAME', 'create a local oplog and declare it an input; repeatable (default: one named "main")'],
    ['--no-oplog', 'create no local oplog'],
    ['--input KEY', "declare another oplog (its public key, hex) an input; repeatable"],
    ['--checkpoint-every K', 'keep a state checkpoint at the first seal at or after every K entries, for `verify --jobs` and `--segment` (default 0: none)'],
    ['--confidential', 'seal entries and ops under epoch keys only members hold: the executor, the inputs and the readers (docs/protocol.md §17)'],
    ['--reader KEY', 'with --confidential: a reader (a monitor), by the public key `glassbox key FILE` prints; repeatable'],
    ['--rotate-every N', 'with --confidential: start a new epoch every N entries too (default 0: only when the members change)'],
    ['--public-contract', 'with --confidential: keep the contract source in the clear, for anyone to read and check (later upgrades, which are ops, stay sealed)'],
    ...COMMON_FLAGS,
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('init', args, options)
    const [file] = positionals('init', given, ['<contract-file>'])
    if (values['no-oplog'] && values.oplog) throw new UsageError('USAGE', '--oplog and --no-oplog exclude each other')
    const oplogs = values['no-oplog'] ? [] : (values.oplog ?? ['main'])
    for (const name of oplogs) if (!/^\S+$/.test(name)) throw new UsageError('USAGE', `oplog name "${name}" must be non-empty and without spaces`)
    const inputs = values.input ?? []
    for (const key of inputs) {
      if (!isPubkeyHex(key)) throw new UsageError('USAGE', `--input ${key} is not a public key (64 lowercase hex characters)`)
    }
    const checkpointEvery = intFlag('checkpoint-every', values['checkpoint-every'])
    if (!values.confidential && (values.reader || values['rotate-every'] !== undefined || values['public-contract'])) throw new UsageError('USAGE', '--reader, --rotate-every and --public-contract need --confidential')
    const readers = values.reader ?? []
    for (const key of readers) {
      if (!isPubkeyHex(key)) throw new UsageError('USAGE', `--reader ${key} is not a public key (64 lowercase hex characters; \`glassbox key FILE\` prints one)`)
    }
    const confidential = values.confidential ? { readers, rotateEvery: intFlag('rotate-every', values['rotate-every']) ?? 0, ...(values['public-contract'] ? { publicContract: true } : {}) } : undefined
    const result = await init({ file, dir: values.dir ?? DEFAULT_DIR, oplogs, inputs, ...(checkpointEvery ? { checkpointEvery } : {}), ...(confidential ? { confidential } : {}) })
    printResult(io, values.json ?? false, result, human)
    return EXIT.ok
  },
}
