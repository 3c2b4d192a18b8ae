// `glassbox query URL METHOD`: an authorized query (docs/protocol.md §16). Signs the read with the
// caller's key, sends it to a server's POST /v1/queries, and checks the signed answer: that it
// answers this very query, and (with --answerer) who signed it. Exit 1 when the query is refused.

import { fetchJson } from '../../claims/light-client.js'
import { loadOrCreateKey } from '../../claims/verifier-key.js'
import { isPubkeyHex } from '../../codec/hash.js'
import { UsageError } from '../../errors.js'
import { checkAnswer, signQuery, type Answer } from '../../participant/query.js'
import type { Json } from '../../vm/types.js'
import { EXIT, parseFlags, positionals, type Command } from '../command.js'
import { printResult } from '../output.js'

const TIMEOUT_MS = 30_000

export const queryCommand: Command = {
  name: 'query',
  summary: "Ask a server a signed read, answered only if the contract authorizes your key",
  usage: ['query URL METHOD [--params JSON] --key KEYFILE [--answerer PUBKEY] [--json]'],
  flags: [
    ['--params JSON', 'the method params as one JSON object (default {})'],
    ['--key KEYFILE', 'your key pair (a glassbox-key/1 file, made there if absent): the identity authorize() sees'],
    ['--answerer PUBKEY', "the key the answer must be signed by (default: the key it names, printed)"],
    ['--json', 'print the signed answer as JSON'],
    ['-h, --help', 'show this help'],
  ],
  notes: [
    "The server answers only if the contract's authorize(query, identity) returns true for your key; a",
    'refusal is the same whatever the state holds. The answer is signed by the server and names the sealed',
    'head (index length, state root) it was computed at, to hold against the seal and later claims.',
    'Exit codes: 0 answered, 1 refused, 2 an error.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('query', args, {
      params: { type: 'string' },
      key: { type: 'string' },
      answerer: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      // Taken by every command; a query reads no local directory.
      dir: { type: 'string' },
    })
    const [url, method] = positionals('query', given, ['URL', 'METHOD'])
    if (url === undefined || method === undefined) throw new UsageError('USAGE', 'query needs the server URL and a method')
    if (values.key === undefined) throw new UsageError('USAGE', 'query needs --key KEYFILE: the key the query is signed with')
    if (values.answerer !== undefined && !isPubkeyHex(values.answerer)) throw new UsageError('USAGE', '--answerer must be 64 lowercase hex characters')
    let params: Json = {}
    if (values.params !== undefined) {
      try {
        params = JSON.parse(values.params) as Json
      } catch {
        throw new UsageError('USAGE', '--params must be JSON')
      }
    }
    const base = url.replace(/\/+$/, '')
    const info = (await fetchJson(`${base}/v1/info`, TIMEOUT_MS)) as { key?: unknown }
    if (typeof info?.key !== 'string') throw new UsageError('USAGE', `${base} does not look like a Glassbox HTTP API (no database key at /v1/info)`)
    const query = signQuery({ database: info.key, method, params }, await loadOrCreateKey(values.key))
    const res = await fetch(`${base}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(query), signal: AbortSignal.timeout(TIMEOUT_MS) })
    const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null
    if (res.status === 403 && body?.error?.code === 'QUERY_REFUSED') {
      printResult(io, values.json ?? false, { refused: true, ...body.error }, (r) => `refused: ${r.message}`)
      return EXIT.negative
    }
    if (!res.ok) throw new UsageError(body?.error?.code ?? 'QUERY_FAILED', `${base}/v1/queries: HTTP ${res.status} ${body?.error?.message ?? ''}`.trim())
    const answer: Answer = checkAnswer(body, query, values.answerer)
    printResult(io, values.json ?? false, answer, (a) =>
      [
        a.error === null ? JSON.stringify(a.result, null, 2) : `the method failed: ${a.error}`,
        `answered at index length ${a.length}, state root ${a.stateRoot}, signed by ${a.by}`,
      ].join('\n'),
    )
    return answer.error === null ? EXIT.ok : EXIT.negative
  },
}

