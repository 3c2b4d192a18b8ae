// The one step a dispute ends on (docs/protocol.md §13.3): entry `lo` of the anchored log, run from
// the state root both parties agreed at length `lo`, gives the true root at `lo + 1`. Built by a
// party that holds that state; checked with nothing but the step itself, as the judge checks a
// fraud proof (a witness, the op with its oplog proof, one re-execution in a fresh VM). Which party
// supplies it does not matter: the witness is checked against the agreed root, not taken on trust.

import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import { decodeEntry, inputKey, PROTOCOL, SYS, type OpEntry, type SealEntry } from '../codec/messages.js'
import { recomputeDraft } from '../verify/recompute.js'
import { checkOp, watchGaps } from '../verify/judge.js'
import { proveInclusion } from '../log/merkle.js'
import type { Keyring } from '../confidential/keyring.js'
import { discloseOp } from '../confidential/op-envelope.js'
import { openEntry, proveEntry, type EntryProof, type OpProof } from '../log/sealed-entry.js'
import { isObject } from '../log/proof-shape.js'
import { signerOf } from '../log/seal.js'
import { recordAccess } from '../state/auth/access.js'
import type { AuthMap } from '../state/auth/auth-map.js'
import { WitnessGapError } from '../state/auth/errors.js'
import type { Witness } from '../state/auth/proof-types.js'
import { proveWitness } from '../state/auth/prove.js'
import { verifyWitness } from '../state/auth/verify.js'
import { ContractVM, RUNTIME_ID } from '../vm/index.js'
import type { SystemKeys } from '../vm/types.js'
import { DisputeError } from './messages.js'

export interface StepProof {
  /** Entry 0 (the runtime the database was made with), under the anchor. */
  header: EntryProof
  /** Entry `lo`, under the anchor. */
  entry: EntryProof
  /** For an op entry: the op's bytes and their inclusion in the oplog the ack names. */
  op: OpProof | null
  /**
   * For an op entry: at the agreed root, the contract source, whether the op's oplog is an input,
   * everything the op reads and lists, and the paths of its changes.
   */
  witness: Witness | null
}

const refused = (why: string) => new DisputeError('STEP_REFUSED', why)

/** What the holder of the logs and of the state at length `lo` (`state`) builds for entry `lo`. */
export async function buildStep(logs: { index: Hypercore; oplog(pubkey: string): Promise<Hypercore>; keyring?: Keyring }, anchorLength: number, lo: number, state: AuthMap): Promise<StepProof> {
  const { index } = logs
  const bytes = await index.get(lo)
  if (!bytes) throw refused(`index entry ${lo} is not available`)
  const entry = decodeEntry(bytes)
  const base = { header: await proveEntry(index, 0, anchorLength), entry: await proveEntry(index, lo, anchorLength) }
  if (entry.type === 'seal') return { ...base, op: null, witness: null }
  if (entry.type !== 'op') throw refused(`entry ${lo} is a ${entry.type} entry: a dispute is about entries after genesis`)
  const { ack } = entry
  const oplog = await logs.oplog(ack.origin)
  const stored = await oplog.get(ack.seq)
  if (!stored) throw refused(`op ${ack.seq} of oplog ${ack.origin.slice(0, 8)}… is not available`)
  // A confidential database's op is disclosed with its block key: this op, and no other, is opened.
  const disclosed = logs.keyring ? await discloseOp(logs.keyring, oplog, stored) : null
  if (logs.keyring && !disclosed) throw refused(`op ${ack.seq} of oplog ${ack.origin.slice(0, 8)}… does not open under the database's keys: no step can show that`)
  const opBytes = disclosed ? disclosed.bytes : stored
  const op = { bytes: toHex(stored), inclusion: await proveInclusion(oplog, ack.seq, ack.oplogLength), ...(disclosed ? { blockKey: disclosed.blockKey } : {}) }
  const reads = [SYS.source, inputKey(ack.origin)]
  if (state.get(inputKey(ack.origin)) === undefined) return { ...base, op, witness: proveWitness(state, { reads, lists: [] }, []) }
  const vm = await ContractVM.create(String(state.get(SYS.source) ?? ''))
  try {
    const { reader, access } = recordAccess(state)
    const draft = recomputeDraft(vm, entry, opBytes, reader, systemKeysOf(index))
    return { ...base, op, witness: proveWitness(state, { reads: [...reads, ...access.reads], lists: access.lists }, draft.changes) }
  } finally {
    vm.dispose()
  }
}

/**
 * The true state root at `lo + 1`: entry `lo` under `anchor`, run from `loRoot`. Throws DisputeError
 * (STEP_REFUSED) when the step does not hold together; never for what the entry itself claims.
 */
export async function judgeStep(step: unknown, key: string, signer: string, anchor: SealEntry, lo: number, loRoot: string): Promise<{ root: string; kind: 'op' | 'seal' | 'not-an-input' }> {
  if (!isObject(step) || !isObject(step.header) || !isObject(step.entry)) throw refused('a step needs header and entry proofs')
  const s = step as unknown as StepProof
  const open = (p: EntryProof, position: number, what: string) => {
    if (p.position !== position) throw refused(`the ${what} is entry ${p.position}, not ${position}`)
    try {
      return openEntry(p, anchor)
    } catch (err) {
      throw refused(`the ${what} is not in the anchored log: ${(err as Error).message}`)
    }
  }
  const header = open(s.header, 0, 'header')
  if (header.type !== 'header') throw refused('entry 0 is not the header')
  if (header.protocol !== PROTOCOL) throw refused(`the database speaks protocol "${header.protocol}", not ${PROTOCOL}`)
  if (header.runtime !== RUNTIME_ID) throw refused(`the database was made with runtime "${header.runtime}" but this judge runs "${RUNTIME_ID}"; it refuses to judge`)
  const entry = open(s.entry, lo, 'step entry')
  // A seal changes no state: the root after it is the root before it.
  if (entry.type === 'seal') return { root: loRoot, kind: 'seal' }
  if (entry.type !== 'op') throw refused(`entry ${lo} is a ${entry.type} entry: a dispute is about entries after genesis`)
  if (!isObject(s.op) || !isObject(s.witness)) throw refused('an op step needs the op and a witness')
  let opBytes: Uint8Array
  try {
    opBytes = checkOp(s.op, entry, header.confidential !== undefined)
  } catch (err) {
    throw refused((err as Error).message)
  }
  const witness = verifyWitness(s.witness, loRoot)
  if (!witness.valid) throw refused(`the witness is not of the agreed state at length ${lo}: ${witness.reason}`)
  const state = witness.state
  const watched = watchGaps(state)
  try {
    // An op from an oplog that is not an input is one an honest executor never takes: no change.
    if (watched.reader.get(inputKey(entry.ack.origin)) === undefined) return { root: loRoot, kind: 'not-an-input' }
    const source = watched.reader.get(SYS.source)
    if (typeof source !== 'string') throw refused('the witness holds no contract source')
    const root = await reExecute(source, entry, opBytes, watched.reader, { index: key, signer }, (changes) => toHex(state.apply(changes).rootHash()))
    if (watched.gap()) throw refused(`the witness does not cover what the op reads: ${watched.gap()}`)
    return { root, kind: 'op' }
  } catch (err) {
    if (err instanceof WitnessGapError) throw refused(`the witness does not cover the op: ${err.message}`)
    throw err
  }
}

async function reExecute(source: string, entry: OpEntry, opBytes: Uint8Array, reader: Parameters<typeof recomputeDraft>[3], keys: SystemKeys, rootAfter: (changes: OpEntry['changes']) => string): Promise<string> {
  let vm: ContractVM
  try {
    vm = await ContractVM.create(source)
  } catch (err) {
    throw refused(`the active contract does not load: ${(err as Error).message}`)
  }
  try {
    return rootAfter(recomputeDraft(vm, entry, opBytes, reader, keys).changes)
  } finally {
    vm.dispose()
  }
}

function systemKeysOf(index: Hypercore): SystemKeys {
  return { index: toHex(index.key), signer: toHex(signerOf(index)) }
}
