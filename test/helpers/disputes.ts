// What dispute tests share: a history with every position class (plain ops, an input-set change, a
// contract switch), an executor that lies consistently from one entry on, liars of both roles, and
// parties over a directory's real logs.

import type { TestContext } from 'node:test'
import sodium from 'sodium-native'
import { fromHex, hash, toHex } from '../../src/codec/hash.js'
import type { OpEntry } from '../../src/codec/messages.js'
import { carryLie } from '../../src/demo/dishonest.js'
import type { DisputeOpen } from '../../src/dispute/messages.js'
import { LocalParty } from '../../src/dispute/party.js'
import { ReplayedRoots, SignedRoots, type RootOracle } from '../../src/dispute/roots.js'
import { signedSealAt } from '../../src/log/sealed-entry.js'
import { signerOf } from '../../src/log/seal.js'
import { openLogs } from '../../src/verify/verify-dir.js'
import type { ReplayLogs } from '../../src/verify/replay.js'
import { firstOp } from './breaches.js'
import { honestDir, send1 } from './databases.js'
import { DishonestExecutor } from './dishonest-executor.js'

export const V1 = `
export function put({ key, value }, emit) { emit({ op: 'PUT', key, value }) }
export function upgrade({ code }, emit) { emit({ op: 'UPGRADE', code }) }
export function admit({ pubkey }, emit) { emit({ op: 'ADMIT', pubkey }) }
export const apply = {
  PUT(tx, op) { tx.put('/' + op.key, op.value) },
  UPGRADE(tx, op) { tx.setContractSource({ code: op.code }) },
  ADMIT(tx, op) { tx.addOplog({ pubkey: op.pubkey }) },
}`
/** The contract the history switches to: puts are stored with a version. */
export const V2 = V1.replace("tx.put('/' + op.key, op.value)", "tx.put('/' + op.key, { v: 2, value: op.value })")
export const NEWCOMER = 'cd'.repeat(32)

/** Index positions of the history's op entries (each op is a block of its own: op, then seal). */
export const AT = (() => {
  const op = (n: number) => firstOp(2) + 2 * n
  return { first: op(0), middle: op(5), admit: op(8), upgrade: op(12), last: op(16) }
})()
/** Length after the genesis seal: where every dispute here starts. */
export const GENESIS_LENGTH = firstOp(2)

/** 17 ops: puts, an ADMIT (op 8), an UPGRADE to V2 (op 12), puts under V2; then closed. */
export async function history(t: TestContext): Promise<string> {
  // Built anew each time: Hypercore refuses to write to a copied directory, and the liars write.
  return honestDir(t, { contract: V1, oplogs: ['alice', 'bob'] }, async (db) => {
    for (let n = 0; n < 17; n++) {
      if (n === 8) await send1(db, 'admit', { pubkey: NEWCOMER }, 'alice', true)
      else if (n === 12) await send1(db, 'upgrade', { code: V2 }, 'bob', true)
      else await send1(db, 'put', { key: `k${n % 5}`, value: n }, n % 2 ? 'bob' : 'alice', true)
    }
  })
}

/** The executor lies at entry `p` and carries on from the state the lie makes (see carryLie). */
export async function lieFrom(dir: string, p: number, changes: (e: OpEntry) => OpEntry['changes']): Promise<void> {
  const x = await DishonestExecutor.open(dir)
  try {
    await carryLie(x.index, p, changes)
  } finally {
    await x.close()
  }
}

export function keyPair(): Uint8Array {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return new Uint8Array(secretKey)
}

/** A root no history has: what a liar says. */
export function lie(root: string): string {
  return toHex(hash(fromHex(root)))
}

/** Roots from `inner`, except past length `from`: those are lies. */
export function lyingFrom(inner: RootOracle, from: number): RootOracle {
  return {
    rootAt: async (length) => (length <= from ? inner.rootAt(length) : lie(await inner.rootAt(length))),
    step: (lo, loRoot, anchor) => inner.step(lo, loRoot, anchor),
    dispose: () => inner.dispose(),
  }
}

export interface Logs {
  logs: ReplayLogs
  key: string
  /** The last seal, as an open's anchor, and its length. */
  anchor: { signer: string; seal: string }
  length: number
  close(): Promise<void>
}

export async function logsOf(dir: string): Promise<Logs> {
  const { store, logs } = await openLogs(dir)
  const length = logs.index.length - 1
  return { logs, key: toHex(logs.index.key), anchor: await signedSealAt(logs.index, length, signerOf(logs.index)), length, close: () => store.close() }
}

/** Gives a party its roots for a dispute, over the logs both parties read. */
export type OracleFor = (open: Pick<DisputeOpen, 'from' | 'to'>, l: Logs) => RootOracle

export const honest: OracleFor = (open, l) => new ReplayedRoots(l.logs, open.from)
export const byTheLog: OracleFor = (_open, l) => new SignedRoots(l.logs)

/** Two parties over `l`: by default an honest challenger re-executing, and a defender standing by the executor's signed roots. */
export function parties(l: Logs, roles: { challenger?: OracleFor; defender?: OracleFor } = {}) {
  const challenger = new LocalParty(keyPair(), (open) => (roles.challenger ?? honest)(open, l))
  const defender = new LocalParty(keyPair(), (open) => (roles.defender ?? byTheLog)(open, l))
  return { challenger, defender }
}

/** The challenger's open over the whole history after genesis, disputing the defender's root at the anchor. */
export async function openAgainst(l: Logs, challenger: LocalParty, defender: LocalParty, defenderRoots: OracleFor = byTheLog, deadline = 60_000): Promise<DisputeOpen> {
  const range = { from: GENESIS_LENGTH, to: l.length }
  const roots = defenderRoots(range, l)
  try {
    return await challenger.challenge({ database: l.key, anchor: l.anchor, ...range, toRoot: await roots.rootAt(range.to), defender: defender.key, deadline })
  } finally {
    roots.dispose()
  }
}
