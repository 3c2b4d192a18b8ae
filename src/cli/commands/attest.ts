// `glassbox attest`: publish an executor attestation for the database in D, made by the SOFTWARE TEST
// attester (not a TEE: no TEE hardware is supported yet), and check one from a file or a server
// (docs/protocol.md §15).

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { writeAttestation } from '../../attest/attestation-file.js'
import { AttestationError, verifyAttestation, type VerifiedAttestation } from '../../attest/attestation.js'
import { bindingFor, SoftwareTestVerifier, softwareTestAttest } from '../../attest/software-test.js'
import { fetchJson } from '../../claims/light-client.js'
import { loadOrCreateKey } from '../../claims/verifier-key.js'
import { isPubkeyHex, toHex } from '../../codec/hash.js'
import { UsageError } from '../../errors.js'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { printResult } from '../output.js'
import { withSession } from '../session.js'

const NOT_A_TEE = 'software test attestation: NOT a TEE; it shows only that the holder of the attester key vouched for this binding'

async function publish(dir: string, keyFile: string, json: boolean, io: Parameters<Command['run']>[1]): Promise<number> {
  const info = await withSession(dir, (s) => s.request('info', {}))
  const created = !existsSync(keyFile)
  const secretKey = await loadOrCreateKey(keyFile)
  const attestation = softwareTestAttest(bindingFor(info.key, info.signer), secretKey)
  const file = await writeAttestation(dir, attestation)
  const attester = toHex(secretKey.subarray(32))
  printResult(io, json, { file, attester, created, tee: false, attestation }, (r) =>
    [`wrote ${r.file}: executor ${info.signer.slice(0, 8)}… of database ${info.key.slice(0, 8)}… attested by software test attester ${r.attester}${r.created ? ` (new key in ${keyFile})` : ''}`, NOT_A_TEE].join('\n'),
  )
  return EXIT.ok
}

async function check(source: string, database: string, trusted: string[], json: boolean, io: Parameters<Command['run']>[1]): Promise<number> {
  const value = /^https?:\/\//.test(source) ? await fetchJson(`${source.replace(/\/+$/, '')}/v1/attestation`, 30_000) : JSON.parse(await readFile(source, 'utf8'))
  let verified: VerifiedAttestation
  try {
    verified = await verifyAttestation(value, { database }, [new SoftwareTestVerifier(trusted)])
  } catch (err) {
    if (!(err instanceof AttestationError)) throw err
    printResult(io, json, { valid: false, code: err.code, reason: err.message }, (r) => `attestation does not hold: ${r.reason}`)
    return EXIT.negative
  }
  printResult(io, json, { valid: true, ...verified }, (r) =>
    [`attestation holds: executor ${r.binding.executor.slice(0, 8)}… of database ${r.binding.database.slice(0, 8)}… runs "${r.binding.runtime}", measurement ${r.measurement.slice(0, 16)}…, by ${r.kind} attester ${r.attester.slice(0, 8)}…`, ...(r.tee ? [] : [NOT_A_TEE])].join('\n'),
  )
  return EXIT.ok
}

export const attestCommand: Command = {
  name: 'attest',
  summary: "Publish or check an executor attestation (a software test attester for now: not a TEE)",
  usage: ['attest --test-attester KEYFILE [--dir D] [--json]', 'attest verify FILE|URL --database KEY --attester PUBKEY [--attester PUBKEY…] [--json]'],
  flags: [
    ['--test-attester KEYFILE', 'sign with the software test attester key in KEYFILE (a glassbox-key/1 file, made there if absent): NOT a TEE'],
    ['--database KEY', 'verify: the database the attestation must be about'],
    ['--attester PUBKEY', 'verify: a software test attester key to trust (hex); repeat for several'],
    ...COMMON_FLAGS,
  ],
  notes: [
    "An attestation binds the database key, the executor's key (the index log's signer) and the contract",
    'runtime, and carries evidence of its kind that commits to that binding: a TEE quote would, a software',
    'test attestation is only a signature by the attester key. It is written to D/attestation.json, which',
    '`serve --http` serves at GET /v1/attestation. `attest verify` checks a file or a server\'s: exit 0 when',
    'it holds, 1 when it does not (the reason is printed), 2 on an error.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('attest', args, {
      ...COMMON_OPTIONS,
      'test-attester': { type: 'string' },
      database: { type: 'string' },
      attester: { type: 'string', multiple: true },
    })
    const json = values.json ?? false
    if (given[0] === 'verify') {
      const [, source] = positionals('attest', given, ['verify', 'FILE|URL'])
      if (source === undefined) throw new UsageError('USAGE', 'attest verify needs the attestation: a file, or the URL of a server publishing one')
      const database = values.database
      if (database === undefined || !isPubkeyHex(database)) throw new UsageError('USAGE', 'attest verify needs --database KEY (64 lowercase hex characters)')
      const trusted = values.attester ?? []
      if (trusted.length === 0 || !trusted.every(isPubkeyHex)) throw new UsageError('USAGE', 'attest verify needs --attester PUBKEY (64 lowercase hex characters): the software test attesters to trust')
      return check(source, database, trusted, json, io)
    }
    positionals('attest', given, [])
    const keyFile = values['test-attester']
    if (keyFile === undefined) throw new UsageError('USAGE', 'attest needs --test-attester KEYFILE: the only attester here is a software test one (no TEE is supported yet)')
    return publish(values.dir ?? DEFAULT_DIR, keyFile, json, io)
  },
}
