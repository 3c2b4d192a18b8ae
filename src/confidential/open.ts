// Opening a confidential database's logs (docs/protocol.md §17): the header, which stays clear, says
// the database is confidential and names its keys log; the index session then gets the block
// encryption, and the keyring the directory's identities, so every reader of the index sees entries.

import type Hypercore from 'hypercore'
import { toHex } from '../codec/hash.js'
import { decodeEntry, type ConfidentialSettings } from '../codec/messages.js'
import { DatabaseError, UsageError } from '../errors.js'
import type { LogStore } from '../log/store.js'
import { ENVELOPE_BYTES, envelopeHead } from './envelope.js'
import type { Identity } from './epochs.js'
import { IndexEncryption } from './index-encryption.js'
import { Keyring } from './keyring.js'

export interface Confidential {
  settings: ConfidentialSettings
  keyring: Keyring
  encryption: IndexEncryption
}

const opened = new WeakMap<Hypercore, Confidential>()

/** The confidential settings in the index's header, or null for a database in the clear (or no header here yet). */
export async function confidentialSettings(index: Hypercore, opts: { wait?: boolean } = {}): Promise<ConfidentialSettings | null> {
  if (index.length === 0) return null
  // A replica on the network may not hold the header yet: fetch it (bounded), as opening needs it.
  const first = await index.get(0, opts.wait ? { raw: true, timeout: 10_000 } : { wait: false, raw: true }).catch(() => null)
  if (!first || first.length < ENVELOPE_BYTES) return null
  try {
    if (envelopeHead(first).sealed) return null
    const header = decodeEntry(first.subarray(ENVELOPE_BYTES))
    return header.type === 'header' && header.confidential ? header.confidential : null
  } catch {
    return null // a header in the clear, or none: not a confidential database
  }
}

/**
 * Whether this node holds the index's header and it is of a database in the clear. False while the
 * header has not arrived: what may be shown only for a clear database waits for it.
 */
export async function headerIsClear(index: Hypercore): Promise<boolean> {
  if (index.length === 0) return false
  const first = await index.get(0, { wait: false, raw: true }).catch(() => null)
  if (!first) return false
  try {
    const header = decodeEntry(first)
    return header.type === 'header' && !header.confidential
  } catch {
    return false // an envelope first: a confidential header
  }
}

/**
 * Sets up a confidential index log for reading (and, with the signer's key, writing); null for a
 * database in the clear. `identities` are the key pairs whose sealed epoch keys the directory may open.
 */
export async function openConfidential(logs: LogStore, index: Hypercore, identities: readonly Identity[], opts: { wait?: boolean } = {}): Promise<Confidential | null> {
  const known = opened.get(index)
  if (known) {
    for (const identity of identities) known.keyring.addIdentity(identity)
    await known.keyring.refresh()
    return known
  }
  const settings = await confidentialSettings(index, opts)
  if (!settings) return null
  const keyring = new Keyring(await logs.byPubkey(settings.keys))
  for (const identity of identities) keyring.addIdentity(identity)
  await keyring.refresh()
  const encryption = new IndexEncryption(keyring, index.key, () => index, settings.publicContract === true)
  await index.setEncryption(encryption)
  const c = { settings, keyring, encryption }
  opened.set(index, c)
  return c
}

/** The confidential state an index was opened with, if any. */
export function confidentialOf(index: Hypercore): Confidential | null {
  return opened.get(index) ?? null
}

/** The key pairs of a directory that may hold epoch keys: the index signer's (if here) and the local oplogs'. */
export async function directoryIdentities(logs: LogStore, index: Hypercore, oplogNames: readonly string[]): Promise<Identity[]> {
  const out: Identity[] = []
  const add = (kp: Hypercore['keyPair']) => {
    if (kp?.secretKey) out.push({ publicKey: kp.publicKey, secretKey: kp.secretKey })
  }
  add(index.keyPair)
  for (const name of oplogNames) add((await logs.localOplog(name)).keyPair)
  return out
}

/**
 * Members of a confidential database now, as Ed25519 public keys (hex): the executor's signer, the
 * signers of the active inputs whose manifests this node has, and the readers.
 */
export function currentMembers(signer: string, inputSigners: readonly string[], settings: ConfidentialSettings): string[] {
  return [...new Set([signer, ...inputSigners, ...settings.readers])].sort()
}

/**
 * The Ed25519 public key (hex) that signs an oplog, from its manifest: an input's epoch keys are
 * sealed to it. Null while the manifest has not reached this node (a remote oplog not yet seen).
 */
export function logSigner(core: Hypercore): string | null {
  const signers = core.manifest?.signers
  return signers && signers.length === 1 ? toHex(signers[0].publicKey) : null
}

/**
 * Makes a new database confidential (the creator, before genesis): its keys log, epoch 0 sealed to
 * the signer, the genesis inputs and the readers, and the index session's encryption.
 */
export async function createConfidential(logs: LogStore, index: Hypercore, inputs: readonly string[], opts: { readers?: string[]; rotateEvery?: number; publicContract?: boolean }): Promise<Confidential> {
  const readers = [...new Set(opts.readers ?? [])].sort()
  for (const r of readers) if (!/^[0-9a-f]{64}$/.test(r)) throw new UsageError('USAGE', `reader ${JSON.stringify(r)} is not a public key (64 lowercase hex characters)`)
  const rotateEvery = opts.rotateEvery ?? 0
  if (!Number.isSafeInteger(rotateEvery) || rotateEvery < 0) throw new UsageError('USAGE', `rotateEvery must be a whole number of entries >= 0, not ${rotateEvery}`)
  const keysLog = await logs.localKeys()
  if (keysLog.length > 0) throw new DatabaseError('DATABASE_INCOMPLETE', 'this directory holds a keys log from a partly created database; remove it and create it again')
  const keyring = new Keyring(keysLog)
  const signer = index.keyPair
  if (!signer?.secretKey) throw new Error('only the index log writer can make a database confidential')
  keyring.addIdentity({ publicKey: signer.publicKey, secretKey: signer.secretKey })
  const settings: ConfidentialSettings = { keys: toHex(keysLog.key), readers, rotateEvery, ...(opts.publicContract ? { publicContract: true as const } : {}) }
  const inputSigners: string[] = []
  for (const input of inputs) {
    const s = logSigner(await logs.byPubkey(input))
    if (s) inputSigners.push(s)
  }
  await keyring.rotate(0, currentMembers(toHex(signer.publicKey), inputSigners, settings))
  const encryption = new IndexEncryption(keyring, index.key, () => index, settings.publicContract === true)
  await index.setEncryption(encryption)
  const c = { settings, keyring, encryption }
  opened.set(index, c)
  return c
}
