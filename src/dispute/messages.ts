// The messages of a dispute (docs/protocol.md §13): signed statements about state roots of one
// history, each bound to the dispute and to the message before it, so a transcript can be neither
// reordered nor spliced from two games. Browser-safe (no Node API beyond the platform seam).

import { encode } from '../codec/canonical.js'
import { fromHex, hash, toHex } from '../codec/hash.js'
import { PROTOCOL } from '../codec/messages.js'
import { sign, verifySignature } from '../codec/sign.js'
import { GlassboxError } from '../errors.js'
import type { SignedSeal } from '../log/sealed-entry.js'

/** A dispute that cannot go on: a message that does not fit, a party that refuses, a history that does not hold. */
export class DisputeError extends GlassboxError {}

/**
 * The challenger opens: "I agree the state root at length `from` is `fromRoot`, and I dispute that
 * it is `toRoot` at length `to`" (the defender's root), about the entries the `anchor` seal covers.
 */
export interface DisputeOpen {
  type: 'open'
  /** The database key, hex. */
  database: string
  /** A seal the executor signed; the disputed history is the entries before it. */
  anchor: SignedSeal
  /** Lengths: the state after the first `from` entries is agreed, after the first `to` it is not. */
  from: number
  to: number
  fromRoot: string
  toRoot: string
  defender: string
  challenger: string
  /** How long (ms) a party may take to answer one request before it loses by silence. */
  deadline: number
  /** When the challenger opened it (ms since the epoch): two disputes over one range differ. */
  time: number
  by: string
  signature: string
}

/** The defender takes the dispute up: its roots at `from` and `to` are the open's. */
export interface DisputeAccept {
  type: 'accept'
  dispute: string
  previous: string
  fromRoot: string
  toRoot: string
  by: string
  signature: string
}

/** The defender's root at the midpoint of the range still disputed. */
export interface DisputeRoot {
  type: 'root'
  dispute: string
  previous: string
  round: number
  length: number
  root: string
  by: string
  signature: string
}

/** The challenger agrees with that root or not; the range halves accordingly. */
export interface DisputeAnswer {
  type: 'answer'
  dispute: string
  previous: string
  round: number
  length: number
  root: string
  agree: boolean
  by: string
  signature: string
}

/**
 * Each party, once the range is one entry long, restates where it stands: for the defender its
 * roots at `lo` and `hi`; for the challenger the root it agreed to at `lo` and the one it disputes at `hi`.
 */
export interface DisputeSettle {
  type: 'settle'
  dispute: string
  previous: string
  lo: number
  loRoot: string
  hi: number
  hiRoot: string
  by: string
  signature: string
}

export type DisputeMessage = DisputeAccept | DisputeRoot | DisputeAnswer | DisputeSettle
export type Signed = DisputeOpen | DisputeMessage

/** What a party signs: the message without its signature, canonically encoded under the protocol. */
export function disputeSignable(message: Omit<Signed, 'signature'> & { signature?: string }): Uint8Array {
  const { signature: _signature, ...body } = message
  return encode({ protocol: PROTOCOL, kind: 'dispute', ...body })
}

/** Signs `body` with a libsodium secret key (64 bytes: seed, then the public key). */
export function signDisputeMessage<T extends Signed>(body: Omit<T, 'by' | 'signature'>, secretKey: Uint8Array): T {
  const unsigned = { ...body, by: toHex(secretKey.subarray(32)) } as Omit<T, 'signature'>
  return { ...unsigned, signature: toHex(sign(disputeSignable(unsigned as Omit<Signed, 'signature'>), secretKey)) } as T
}

export function signedBy(message: Signed, key: string): boolean {
  if (message.by !== key || !/^[0-9a-f]{128}$/.test(message.signature)) return false
  return verifySignature(fromHex(message.signature), disputeSignable(message), fromHex(key))
}

/** What binds the next message to this one: the hash of its signed canonical encoding. */
export function messageHash(message: Signed): string {
  return toHex(hash(encode({ protocol: PROTOCOL, kind: 'dispute', ...message })))
}

/** A dispute's id: the hash of its signed open. */
export function disputeId(open: DisputeOpen): string {
  return messageHash(open)
}

/** Rounds of bisection that settle a range of `n` entries, and the bound with the settling round. */
export function roundsFor(n: number): { bisection: number; bound: number } {
  const bisection = n <= 1 ? 0 : Math.ceil(Math.log2(n))
  return { bisection, bound: bisection + 1 }
}

/** The next length asked about in a range: the midpoint, rounded down. */
export function midpoint(lo: number, hi: number): number {
  return lo + Math.floor((hi - lo) / 2)
}
