// `glassbox coverage FILE…`: which segments of a database's history the signed segment claims in
// the files cover, by whom, which are uncovered, and which claims conflict (docs/protocol.md §14.5).

import { readFile } from 'node:fs/promises'
import { isPubkeyHex } from '../../codec/hash.js'
import { coverage, type CoverageReport } from '../../claims/coverage.js'
import { GlassboxError, UsageError } from '../../errors.js'
import { EXIT, intFlag, parseFlags, type Command } from '../command.js'
import { printResult } from '../output.js'

export interface CoverageParameters {
  files: string[]
  database?: string
  head?: number
}

export type CoverageReturnType = CoverageReport & { files: string[] }

/** Reads the claims in `files` (each a claim or a list of claims); a file that is not one is an error naming it. */
export async function coverageOf(p: CoverageParameters): Promise<CoverageReturnType> {
  const claims: { source: string; claim: unknown }[] = []
  for (const file of p.files) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      throw new GlassboxError('CLAIM_FILE', `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new GlassboxError('CLAIM_FILE', `${file} is not a segment claims file: not valid JSON (${(err as Error).message}); was it cut short or edited?`)
    }
    const list = Array.isArray(parsed) ? parsed : [parsed]
    list.forEach((claim, i) => claims.push({ source: list.length > 1 ? `${file}[${i}]` : file, claim }))
  }
  return { ...coverage(claims, { ...(p.database ? { database: p.database } : {}), ...(p.head !== undefined ? { head: p.head } : {}) }), files: p.files }
}

const who = (keys: string[]) => keys.map((k) => `${k.slice(0, 8)}…`).join(', ')

function coverageText(r: CoverageReturnType): string {
  const lines = [`database ${r.database ?? '(no valid claim)'}: ${r.complete ? 'fully covered' : 'NOT fully covered'} up to length ${r.head}`]
  for (const s of r.covered) lines.push(`  covered [${s.from}, ${s.to}) ${s.result === 'valid' ? 'valid' : `BREACH at #${s.breach?.seq} (${s.breach?.class})`} by ${who(s.verifiers)}`)
  for (const u of r.uncovered) lines.push(`  uncovered [${u.from}, ${u.to})`)
  for (const c of r.conflicts) lines.push(`  conflict [${c.from}, ${c.to}): ${c.why}`)
  for (const x of r.rejected) lines.push(`  rejected ${x.source}: ${x.reason}`)
  return lines.join('\n')
}

export const coverageCommand: Command = {
  name: 'coverage',
  summary: 'Report which segments signed segment claims cover, by whom, and what is uncovered',
  usage: ['coverage FILE... [--database KEY] [--head N] [--json]'],
  flags: [
    ['--database KEY', 'the database the claims must be about (default: the first valid claim\'s)'],
    ['--head N', 'report coverage up to index length N (default: the furthest claim\'s end)'],
    ['--json', 'print one JSON document on stdout instead of text'],
    ['-h, --help', 'show this help'],
  ],
  notes: [
    'Each FILE holds segment claims as `verify --segment I/N --claim-out FILE` writes them. Every claim is',
    'checked (format, signature, database); claims of one segment must agree, segments must not overlap, and',
    'each must start at the seal and state root the one before it ended at (docs/protocol.md §14.5).',
    'Exit codes: 0 fully covered and valid, 1 uncovered ranges, conflicts or a breach, 2 an unreadable file.',
  ],
  async run(args, io) {
    const { values, positionals: files } = parseFlags('coverage', args, {
      database: { type: 'string' },
      head: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      dir: { type: 'string' },
    })
    if (files.length === 0) throw new UsageError('USAGE', 'coverage needs at least one claims FILE')
    if (values.database !== undefined && !isPubkeyHex(values.database)) throw new UsageError('USAGE', `--database ${values.database} is not a database key (64 lowercase hex characters)`)
    const head = intFlag('head', values.head)
    const result = await coverageOf({ files, ...(values.database ? { database: values.database } : {}), ...(head !== undefined ? { head } : {}) })
    printResult(io, values.json ?? false, result, coverageText)
    return result.complete ? EXIT.ok : EXIT.negative
  },
}
