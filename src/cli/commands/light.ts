// `glassbox light`: a light client that holds no logs (docs/protocol.md §11.4). It weighs the claims
// of the monitors a trust file names, answers reads with a proof and a guarantee, and writes the
// evidence against monitors whose claims are false; `light check` confirms such evidence alone.

import { readFile, writeFile } from 'node:fs/promises'
import { checkEvidence, EVIDENCE_FORMAT, type EvidenceFile, type EvidenceVerdict } from '../../claims/evidence.js'
import { fetchJson, LightClient, type LightRead, type LightView } from '../../claims/light-client.js'
import { checkTrustFile, TRUST_FORMAT, type TrustFile } from '../../claims/trust-file.js'
import { toHex } from '../../codec/hash.js'
import { parseVerifierKey } from '../../codec/signed-note.js'
import { keyOfSigner } from '../../log/seal.js'
import { UsageError } from '../../errors.js'
import { COMMON_FLAGS, COMMON_OPTIONS, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { jsonText, printResult, table } from '../output.js'

export async function readTrustFile(file: string): Promise<TrustFile> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError('FILE_NOT_FOUND', `cannot read the trust file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return checkTrustFile(JSON.parse(text))
  } catch (err) {
    throw new UsageError('TRUST_FILE', `${file}: ${(err as Error).message}`)
  }
}

/**
 * A trust file from what the servers say about themselves: the database key from the executor's
 * signed checkpoint, each monitor's key from its claims. Trust on first use, said as such.
 */
async function trustOnFirstUse(executor: string, monitors: string[], threshold: number | undefined, timeoutMs: number): Promise<TrustFile> {
  const get = (url: string) => fetchJson(url, timeoutMs)
  const base = (url: string) => url.replace(/\/+$/, '')
  const cp = (await get(`${base(executor)}/v1/checkpoint`)) as { checkpoint?: { verifierKey?: string } }
  const vkey = parseVerifierKey(String(cp.checkpoint?.verifierKey))
  const database = toHex(keyOfSigner(vkey.publicKey))
  const listed = []
  for (const m of monitors) {
    const at = m.lastIndexOf('=')
    const url = at > m.indexOf('://') + 2 && at > 0 && /^[0-9.]+$/.test(m.slice(at + 1)) ? m.slice(0, at) : m
    const weight = url === m ? 1 : Number(m.slice(at + 1))
    const claims = (await get(`${base(url)}/v1/claims`)) as { monitor?: string }
    listed.push({ key: String(claims.monitor), weight, url: base(url) })
  }
  const total = listed.reduce((n, m) => n + m.weight, 0)
  return checkTrustFile({ format: TRUST_FORMAT, database, executor: base(executor), threshold: threshold ?? Math.max(1, Math.ceil(total / 2)), monitors: listed })
}

function statusText(v: LightView): string {
  const short = (k: string) => `${k.slice(0, 8)}…`
  const rows = [
    ['database', v.database],
    ['checkpoint', v.checkpoint ? `length ${v.checkpoint.length}, state root ${v.checkpoint.stateRoot} (signed by the executor)` : `none (${v.checkpointError})`],
    ['claimed head', v.head ? `length ${v.head.length}, state root ${v.head.stateRoot}` : 'none: no counted claim'],
    ['weight', v.head ? `${v.head.weight} of ${v.threshold} needed (${v.head.monitors.map(short).join(', ')})` : `0 of ${v.threshold} needed`],
    ...(v.reexecuted ? [['re-executed', `entries ${v.reexecuted.from}..${v.reexecuted.to - 1}, to state root ${v.reexecuted.stateRoot}`]] : v.reexecuteError ? [['re-executed', `no: ${v.reexecuteError}`]] : []),
    ['verdict', v.trusted ? 'trusted' : v.conflicts.length > 0 ? 'DISPUTED: counted claims disagree' : 'not trusted: the claimed weight is below the threshold'],
    ...v.monitors.map((m) => [`monitor ${m.name ?? short(m.key)}`, `${m.state}${m.reason ? `: ${m.reason}` : ''} (weight ${m.weight}, ${m.claims} claims)`]),
    ...v.accusations.map((a) => [`accused ${short(a.monitor)}`, `${a.kind}: ${a.reason}`]),
  ]
  return table(rows)
}

function readText(r: LightRead): string {
  return [r.found ? jsonText(r.value) : '(no value)', `${r.guarantee.trusted ? 'trusted' : 'NOT trusted'}: ${r.guarantee.statement}`].join('\n')
}

function checkText(verdicts: EvidenceVerdict[]): string {
  return verdicts.map((v) => `${v.proven ? 'proven' : 'NOT proven'}: ${v.kind} by monitor ${v.monitor.slice(0, 8)}…: ${v.reason}`).join('\n')
}

export const lightCommand: Command = {
  name: 'light',
  summary: "A light client: weigh monitors' claims, read with proofs, check evidence against monitors",
  usage: [
    'light status --trust FILE [--reexecute N] [--evidence-out FILE] [--timeout MS] [--json]',
    'light get <key> --trust FILE [--reexecute N] [--timeout MS] [--json]',
    'light dispute --trust FILE --challenger URL [--out FILE] [--timeout MS] [--json]',
    'light check <evidence-file> --key DBKEY [--json]',
    'light trust --executor URL [--monitor URL[=WEIGHT]]... [--threshold N] --out FILE [--json]',
  ],
  flags: [
    ['--trust FILE', 'the trust file: database key, executor URL, monitors (key, weight, URL) and the threshold weight'],
    ['--reexecute N', "when claims do not reach the threshold at the executor's checkpoint, re-execute up to N entries since the last vouched root (or genesis) from a proof of execution (default 0: never)"],
    ['--evidence-out FILE', 'write the evidence against monitors found signing false claims (checkable with `light check`)'],
    ['--timeout MS', 'how long a server may take to answer before it counts as silent (default 10000)'],
    ['--key DBKEY', 'the database key the evidence is checked against'],
    ['--executor URL', 'light trust: the HTTP API the database key and reads come from'],
    ['--monitor URL[=WEIGHT]', 'light trust: a server whose monitor claims (its key is read from GET /v1/claims); weight 1 by default; repeatable'],
    ['--threshold N', 'light trust: the weight an answer needs (default: half the total weight, rounded up)'],
    ['--challenger URL', "light dispute: a monitor's HTTP API whose own replay disputes the executor's checkpoint root"],
    ['--out FILE', 'light trust: where to write the trust file; light dispute: where to write the transcript'],
    ...COMMON_FLAGS.filter(([f]) => !f.startsWith('--dir')),
  ],
  notes: [
    'A light client holds no logs. It checks the executor\'s signed checkpoint, fetches each monitor\'s claims',
    '(GET /v1/claims) and fraud proofs, sets aside false, equivocating and refuted claims, follows the heaviest',
    'chain of the rest and reads with a state proof: "either the root at L is X, or monitors of weight W signed a',
    'false claim". `light dispute` settles the executor\'s checkpoint root without the logs: the challenger and the',
    'executor bisect the range (docs/protocol.md §13) with this client as referee, and the one entry they end on',
    'is re-executed here; exit 0 when the challenger was wrong, 1 when the executor was (or it did not finish).',
    'Exit codes: 0 trusted (check: every accusation proven), 1 not trusted, disputed or absent',
    '(check: one not proven), 2 errors. The trust file format is in docs/protocol.md §11.4.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('light', args, {
      ...COMMON_OPTIONS,
      trust: { type: 'string' },
      'evidence-out': { type: 'string' },
      timeout: { type: 'string' },
      key: { type: 'string' },
      executor: { type: 'string' },
      monitor: { type: 'string', multiple: true },
      threshold: { type: 'string' },
      out: { type: 'string' },
      reexecute: { type: 'string' },
      challenger: { type: 'string' },
    })
    const action = given[0]
    const timeoutMs = intFlag('timeout', values.timeout)
    const json = values.json ?? false
    if (action === 'check') {
      const [, file] = positionals('light', given, ['check', '<evidence-file>'])
      if (!values.key || !/^[0-9a-f]{64}$/.test(values.key)) throw new UsageError('USAGE', 'light check needs --key DBKEY (64 lowercase hex)')
      let evidence: unknown
      try {
        evidence = JSON.parse(await readFile(file, 'utf8'))
      } catch (err) {
        throw new UsageError('FILE_UNREADABLE', `${file}: ${(err as Error).message}`)
      }
      const verdicts = await checkEvidence(evidence, values.key)
      printResult(io, json, { verdicts }, (r) => checkText(r.verdicts))
      if (verdicts.some((v) => v.kind === 'malformed')) return EXIT.error
      return verdicts.every((v) => v.proven) ? EXIT.ok : EXIT.negative
    }
    if (action === 'trust') {
      positionals('light', given, ['trust'])
      if (!values.executor || !values.out || !values.monitor) throw new UsageError('USAGE', 'light trust needs --executor URL, at least one --monitor URL and --out FILE')
      const threshold = values.threshold === undefined ? undefined : Number(values.threshold)
      if (threshold !== undefined && !(threshold > 0)) throw new UsageError('USAGE', '--threshold must be a positive number')
      const trust = await trustOnFirstUse(values.executor, values.monitor ?? [], threshold, timeoutMs ?? 10_000)
      await writeFile(values.out, jsonText(trust) + '\n')
      printResult(io, json, trust, (t) => [`wrote ${values.out}: database ${t.database}, ${t.monitors.length} monitor(s), threshold ${t.threshold}`, 'These keys were read from the servers themselves: check them with their owners before you rely on them.'].join('\n'))
      return EXIT.ok
    }
    if (action !== 'status' && action !== 'get' && action !== 'dispute') throw new UsageError('USAGE', `unknown action ${JSON.stringify(action ?? '')} (light status | light get <key> | light dispute | light check <file> | light trust)`)
    if (!values.trust) throw new UsageError('USAGE', `light ${action} needs --trust FILE`)
    const reexecute = intFlag('reexecute', values.reexecute)
    const client = new LightClient(await readTrustFile(values.trust), { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(reexecute === undefined ? {} : { reexecute }) })
    if (action === 'dispute') {
      positionals('light', given, ['dispute'])
      if (!values.challenger) throw new UsageError('USAGE', 'light dispute needs --challenger URL: a monitor whose replay disputes the executor\'s root')
      const { disputeVerdictText } = await import('./dispute.js')
      const settled = await client.dispute(values.challenger)
      if (values.out) await writeFile(values.out, jsonText(settled.transcript) + '\n')
      const result = { checkpoint: { length: settled.checkpoint.length, stateRoot: settled.checkpoint.stateRoot }, verdict: settled.verdict, transcript: values.out ?? null }
      printResult(io, json, result, (r) => [`the executor's checkpoint: length ${r.checkpoint.length}, state root ${r.checkpoint.stateRoot}`, disputeVerdictText(r.verdict), ...(r.transcript ? [`transcript written to ${r.transcript} (check it with: glassbox judge ${r.transcript})`] : [])].join('\n'))
      // Trusted only when the challenger, not the executor, was found wrong.
      return settled.verdict.verdict === 'decided' && settled.verdict.wrong === 'challenger' ? EXIT.ok : EXIT.negative
    }
    if (action === 'get') {
      const [, key] = positionals('light', given, ['get', '<key>'])
      // The proof is at the latest seal: give the monitors until the timeout to claim it.
      const read = await client.read(key, { waitMs: timeoutMs ?? 10_000 })
      printResult(io, json, read, readText)
      return read.found && read.guarantee.trusted ? EXIT.ok : EXIT.negative
    }
    positionals('light', given, ['status'])
    const view = await client.sync()
    if (values['evidence-out'] && view.accusations.length > 0) {
      const file: EvidenceFile = { format: EVIDENCE_FORMAT, database: view.database, accusations: view.accusations }
      await writeFile(values['evidence-out'], jsonText(file) + '\n')
    }
    printResult(io, json, view, statusText)
    return view.trusted ? EXIT.ok : EXIT.negative
  },
}
