// The judge (docs/protocol.md, "Fraud proofs and the judge"): checks a fraud proof with nothing but
// the proof file and, optionally, the database key. No storage, no logs, no filesystem: decoding,
// hashing, signature checks, a state witness and one op re-executed in a fresh contract VM. It only
// ever says "proven" when the executor's own signatures contradict themselves or the contract, so an
// honest executor cannot be framed.

import { fromHex, toHex } from '../codec/hash.js'
import { PROTOCOL, SYS, type IndexEntry, type OpEntry, type SealEntry } from '../codec/messages.js'
import { inclusionRoot } from '../log/merkle.js'
import { HEX, HEX32, isObject, ProofError } from '../log/proof-shape.js'
import { openEntry, openSeal, opOfProof, type EntryProof, type SignedSeal } from '../log/sealed-entry.js'
import { WitnessGapError } from '../state/auth/errors.js'
import type { PartialTrie } from '../state/auth/partial-trie.js'
import { verifyWitness } from '../state/auth/verify.js'
import { ContractVM, RUNTIME_ID } from '../vm/index.js'
import type { ListOptions, StateReader, SystemKeys } from '../vm/types.js'
import { BREACH_CLASSES, type BreachClass } from './breach.js'
import { EXECUTION_CLASSES, FRAUD_PROOF_FORMAT, type ExecutionProof, type ForkProof, type SealProof, type TsProof } from './fraud-proof.js'
import { recompute } from './recompute.js'

export interface JudgeOptions {
  /** The database key the caller cares about (hex); a proof about another database is not proven. */
  key?: string
}

export type JudgeReturnType =
  | { verdict: 'proven'; class: BreachClass; message: string; key: string; seq: number }
  | { verdict: 'not-proven'; reason: string }
  | { verdict: 'malformed'; reason: string }


class Refusal extends Error {
  constructor(
    readonly verdict: 'not-proven' | 'malformed',
    reason: string,
  ) {
    super(reason)
  }
}

const notProven = (reason: string) => new Refusal('not-proven', reason)
const malformed = (reason: string) => new Refusal('malformed', reason)

/** Judges a parsed proof file. Never throws for a hostile proof: it is malformed or not proven. */
export async function judge(proof: unknown, opts: JudgeOptions = {}): Promise<JudgeReturnType> {
  try {
    const p = checkShape(proof)
    if (opts.key !== undefined && opts.key.toLowerCase() !== p.key) {
      return { verdict: 'not-proven', reason: `the proof is about database ${p.key.slice(0, 8)}…, not ${opts.key.slice(0, 8)}…` }
    }
    const found =
      p.class === 'index-rewritten'
        ? judgeFork(p as ForkProof)
        : p.class === 'bad-seal'
          ? judgeSeal(p as SealProof)
          : p.class === 'ts-backwards'
            ? judgeTs(p as TsProof)
            : await judgeExecution(p as ExecutionProof)
    if (found === null) throw notProven(`entry ${p.seq} is what the contract gives for its op: nothing to prove`)
    return { verdict: 'proven', key: p.key, ...found }
  } catch (err) {
    if (err instanceof Refusal) return { verdict: err.verdict, reason: err.message }
    if (err instanceof ProofError) return { verdict: err.code === 'PROOF_MALFORMED' ? 'malformed' : 'not-proven', reason: err.message }
    return { verdict: 'not-proven', reason: (err as Error).message ?? String(err) }
  }
}

/** Parses a proof file's text; malformed JSON is a malformed proof. */
export async function judgeText(text: string, opts: JudgeOptions = {}): Promise<JudgeReturnType> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return { verdict: 'malformed', reason: `not JSON: ${(err as Error).message}` }
  }
  return judge(parsed, opts)
}

interface Found {
  class: BreachClass
  message: string
  seq: number
}

/**
 * Re-executes the op of an execution proof statelessly, as the judge does, for a proof of execution
 * (docs/protocol.md §11.6): `confirmed` when the entry is what the contract gives for its op, with
 * the entry and the state root before it; `breach` when it is not; `refused` with the reason when
 * the proof does not hold together. Never throws.
 */
export async function recheckExecution(
  proof: unknown,
  key: string,
): Promise<{ result: 'confirmed'; seq: number; entry: OpEntry; previousRoot: Uint8Array; anchor: SealEntry } | { result: 'breach'; seq: number; class: BreachClass; message: string } | { result: 'refused'; reason: string }> {
  try {
    const p = checkShape(proof)
    if (p.key !== key.toLowerCase()) return { result: 'refused', reason: `the proof is about database ${p.key.slice(0, 8)}…, not ${key.slice(0, 8)}…` }
    if (!(EXECUTION_CLASSES as readonly string[]).includes(p.class)) return { result: 'refused', reason: `a ${p.class} proof re-executes nothing` }
    const e = p as ExecutionProof
    const found = await judgeExecution(e)
    if (found) return { result: 'breach', ...found }
    const seal = openSeal(e.anchor, e.key)
    const entry = openEntry(e.entry, seal) as OpEntry
    const previous = openAt(e.previous, seal, e.entry.position - 1, 'previous entry') as OpEntry | SealEntry
    return { result: 'confirmed', seq: e.entry.position, entry, previousRoot: previous.stateRoot, anchor: seal }
  } catch (err) {
    return { result: 'refused', reason: (err as Error).message ?? String(err) }
  }
}

function judgeExecution(p: ExecutionProof): Promise<Found | null> {
  const seal = openSeal(p.anchor, p.key)
  const header = openAt(p.header, seal, 0, 'header')
  if (header.type !== 'header') throw notProven('entry 0 under the seal is not the header')
  if (header.protocol !== PROTOCOL) throw notProven(`the database speaks protocol "${header.protocol}", not ${PROTOCOL}`)
  if (header.runtime !== RUNTIME_ID) {
    throw notProven(`the database was made with runtime "${header.runtime}" but this judge runs "${RUNTIME_ID}"; it refuses to judge`)
  }
  const entry = openEntry(p.entry, seal)
  if (entry.type !== 'op') throw notProven(`entry ${p.entry.position} is a ${entry.type} entry, not an op`)
  const seq = p.entry.position
  if (seq < 1) throw notProven('the op entry has no entry before it')
  const previous = openAt(p.previous, seal, seq - 1, 'previous entry')
  if (previous.type !== 'op' && previous.type !== 'seal') throw notProven(`entry ${seq - 1} is a ${previous.type} entry: it carries no state root`)
  const opBytes = checkOp(p.op, entry, header.confidential !== undefined)
  const witness = verifyWitness(p.witness, previous.stateRoot)
  if (!witness.valid) throw notProven(`the witness is not of the state before entry ${seq}: ${witness.reason}`)
  // The anchor opened, so its signer is the database key's: the database's own logs are known.
  return reExecute(witness.state, entry, fromHex(p.entry.entry), opBytes, seq, { index: p.key, signer: p.anchor.signer.toLowerCase() })
}

/**
 * The op's bytes, once shown to be block ack.seq of the oplog whose root the ack names (opened with
 * its disclosed block key when the database is confidential: never taken as stored, which would run
 * the envelope as a malformed op and find a breach that is not there).
 */
export function checkOp(op: ExecutionProof['op'], entry: OpEntry, confidential: boolean): Uint8Array {
  const { ack } = entry
  if (op.inclusion.index !== ack.seq || op.inclusion.length !== ack.oplogLength) {
    throw notProven(`the op proof is for block ${op.inclusion.index} at length ${op.inclusion.length}, the ack names op ${ack.seq} at length ${ack.oplogLength}`)
  }
  const bytes = fromHex(op.bytes)
  if (toHex(inclusionRoot(op.inclusion, bytes)) !== toHex(ack.oplogHash)) throw notProven(`the op bytes are not op ${ack.seq} of the oplog the ack names`)
  try {
    return opOfProof(op, confidential)
  } catch (err) {
    throw notProven((err as Error).message)
  }
}

async function reExecute(state: PartialTrie, entry: OpEntry, entryBytes: Uint8Array, opBytes: Uint8Array, seq: number, systemKeys: SystemKeys): Promise<Found | null> {
  const watched = watchGaps(state)
  let vm: ContractVM
  try {
    const source = state.get(SYS.source)
    if (typeof source !== 'string') throw notProven('the witness holds no contract source')
    vm = await ContractVM.create(source)
  } catch (err) {
    if (err instanceof Refusal) throw err
    if (err instanceof WitnessGapError) throw notProven(`the witness does not cover the contract source: ${err.message}`)
    throw notProven(`the active contract does not load: ${(err as Error).message}`)
  }
  try {
    const result = recompute(vm, entry, entryBytes, opBytes, watched.reader, systemKeys, (draft) => state.apply(draft.changes).rootHash())
    // A gap met inside the sandbox may have been caught by the contract: the run does not count.
    if (watched.gap()) throw notProven(`the witness does not cover what the op reads: ${watched.gap()}`)
    if (!result.diagnosis) return null
    return { class: result.diagnosis.class, message: result.diagnosis.message, seq }
  } catch (err) {
    if (err instanceof WitnessGapError) throw notProven(`the witness does not cover what the op writes: ${err.message}`)
    throw err
  } finally {
    vm.dispose()
  }
}

function judgeSeal(p: SealProof): Found {
  const seal = openSeal(p.anchor, p.key)
  const entry = openEntry(p.entry, seal)
  const at = p.entry.position
  if (entry.type === 'seal' && entry.length !== at) {
    return { class: 'bad-seal', message: `the seal at #${at} claims to cover ${entry.length} entries`, seq: at }
  }
  if (at === seal.length - 1 && (entry.type === 'op' || entry.type === 'seal') && toHex(entry.stateRoot) !== toHex(seal.stateRoot)) {
    return { class: 'bad-seal', message: `the seal for length ${seal.length} signs state root ${toHex(seal.stateRoot).slice(0, 8)}…, entry ${at} before it has ${toHex(entry.stateRoot).slice(0, 8)}…`, seq: seal.length }
  }
  throw notProven(`entry ${at} does not contradict the seal for length ${seal.length}`)
}

function judgeTs(p: TsProof): Found {
  const seal = openSeal(p.anchor, p.key)
  const earlier = openEntry(p.earlier, seal)
  const entry = openEntry(p.entry, seal)
  const [a, b] = [p.earlier.position, p.entry.position]
  if (earlier.type !== 'op' || entry.type !== 'op') throw notProven(`entries ${a} and ${b} are not both op entries`)
  if (a >= b) throw notProven(`entry ${a} does not come before entry ${b}`)
  if (entry.ack.ts >= earlier.ack.ts) throw notProven(`entry ${b}'s ts ${entry.ack.ts} is not earlier than entry ${a}'s ${earlier.ack.ts}`)
  return { class: 'ts-backwards', message: `the ack at #${b} has ts ${entry.ack.ts}, earlier than ${earlier.ack.ts} at #${a}`, seq: b }
}

function judgeFork(p: ForkProof): Found {
  const [a, b] = p.seals.map((s) => openSeal(s, p.key)) as [SealEntry, SealEntry]
  if (a.length !== b.length) throw notProven(`the seals cover different lengths (${a.length} and ${b.length}): a log that grew, not a fork`)
  const sameTree = toHex(a.treeHash) === toHex(b.treeHash)
  if (sameTree && toHex(a.stateRoot) === toHex(b.stateRoot)) throw notProven(`the two seals for length ${a.length} agree`)
  const what = sameTree ? 'state roots' : 'tree hashes'
  return { class: 'index-rewritten', message: `the executor signed two ${what} for length ${a.length}`, seq: a.length }
}

function openAt(proof: EntryProof, seal: SealEntry, position: number, what: string): IndexEntry {
  if (proof.position !== position) throw notProven(`the ${what} is entry ${proof.position}, not entry ${position}`)
  return openEntry(proof, seal)
}

/** A reader that remembers the first gap it met, even if the contract catches the error. */
export function watchGaps(inner: StateReader): { reader: StateReader; gap: () => string | null } {
  let first: string | null = null
  const guard = <T>(f: () => T): T => {
    try {
      return f()
    } catch (err) {
      if (err instanceof WitnessGapError) first ??= err.message
      throw err
    }
  }
  return {
    reader: {
      get: (key: string) => guard(() => inner.get(key)),
      list: (prefix: string, opts?: ListOptions) => guard(() => inner.list(prefix, opts)),
    },
    gap: () => first,
  }
}

type Shaped = (ExecutionProof | SealProof | ForkProof | TsProof) & { class: BreachClass }

/** Checks the fields every proof of its class needs; anything else is a malformed file. */
function checkShape(x: unknown): Shaped {
  if (!isObject(x)) throw malformed('a proof file is a JSON object')
  if (x.format !== FRAUD_PROOF_FORMAT) throw malformed(`not a ${FRAUD_PROOF_FORMAT} file (format ${JSON.stringify(x.format)})`)
  if (x.kind !== 'fraud') throw malformed(`not a fraud proof (kind ${JSON.stringify(x.kind)})`)
  const cls = x.class
  if (typeof cls !== 'string' || !Object.hasOwn(BREACH_CLASSES, cls)) throw malformed(`unknown breach class ${JSON.stringify(cls)}`)
  if (typeof x.key !== 'string' || !HEX32.test(x.key)) throw malformed('key must be 64 lowercase hex characters')
  if (cls === 'index-rewritten') {
    if (!Array.isArray(x.seals) || x.seals.length !== 2) throw malformed('a fork proof holds two seals')
    for (const s of x.seals) needSeal(s, 'seals[]')
  } else if (cls === 'bad-seal') {
    needSeal(x.anchor, 'anchor')
    needEntry(x.entry, 'entry')
  } else if (cls === 'ts-backwards') {
    needSeal(x.anchor, 'anchor')
    needEntry(x.earlier, 'earlier')
    needEntry(x.entry, 'entry')
  } else if ((EXECUTION_CLASSES as readonly string[]).includes(cls)) {
    needSeal(x.anchor, 'anchor')
    for (const f of ['header', 'previous', 'entry']) needEntry(x[f], f)
    const op = x.op
    if (!isObject(op) || typeof op.bytes !== 'string' || !HEX.test(op.bytes) || !isObject(op.inclusion)) throw malformed('op needs bytes (hex) and inclusion')
    if (!isObject(x.witness)) throw malformed('witness is missing')
  } else {
    throw malformed(`${cls} has no fraud proof`)
  }
  return x as unknown as Shaped
}

function needSeal(s: unknown, what: string): asserts s is SignedSeal {
  if (!isObject(s) || typeof s.signer !== 'string' || typeof s.seal !== 'string') throw malformed(`${what} needs signer and seal`)
}

function needEntry(e: unknown, what: string): asserts e is EntryProof {
  if (!isObject(e) || typeof e.position !== 'number' || typeof e.entry !== 'string' || !HEX.test(e.entry) || !isObject(e.inclusion)) {
    throw malformed(`${what} needs position, entry (hex) and inclusion`)
  }
}
