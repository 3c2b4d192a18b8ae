// Seals as C2SP checkpoints (c2sp.org/tlog-checkpoint, docs/protocol.md §8.5): the origin line
// names the database, then the tree size and the accumulator's root hash, then Glassbox's own
// extension lines: the state root, Hypercore's tree hash and the oplog positions at that size.
// Browser-safe.

import { toHex } from '../codec/hash.js'
import { base64ToBytes, bytesToBase64 } from '../codec/primitives.js'
import { NoteError } from '../codec/signed-note.js'

export interface TlogCheckpoint {
  origin: string
  size: number
  /** The accumulator's root hash at `size` (32 bytes). */
  root: Uint8Array
  /** Lines after the third, each non-empty. */
  extensions: string[]
}

/** The facts of a Glassbox seal that its checkpoint text states. */
export interface SealFacts {
  length: number
  accumulator: Uint8Array
  stateRoot: Uint8Array
  treeHash: Uint8Array
  positions: Uint8Array
}

const ORIGIN_PREFIX = 'glassbox/'
const STATE = 'state '
const HYPERCORE = 'hypercore '
const POSITIONS = 'positions '

/** The origin line of a database's checkpoints: `glassbox/` and its key in hex. */
export function databaseOrigin(key: Uint8Array): string {
  return ORIGIN_PREFIX + toHex(key)
}

export function formatCheckpoint(c: TlogCheckpoint): string {
  const lines = [c.origin, String(c.size), bytesToBase64(c.root), ...c.extensions]
  return lines.map((l) => `${l}\n`).join('')
}

/** Parses a checkpoint text (a note's body); throws NoteError('NOTE_MALFORMED') saying what is wrong. */
export function parseCheckpoint(text: string): TlogCheckpoint {
  const bad = (why: string) => new NoteError('NOTE_MALFORMED', `not a checkpoint: ${why}`)
  if (typeof text !== 'string' || !text.endsWith('\n')) throw bad('it must end with a newline')
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3) throw bad('it needs an origin, a size and a root hash line')
  const [origin, size, root, ...extensions] = lines
  if (origin.length === 0 || /[\s+]/u.test(origin)) throw bad('the origin line must be non-empty, without spaces or plus signs')
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw bad(`the size line ${JSON.stringify(size.slice(0, 24))} is not a whole number without leading zeros`)
  const hash = base64ToBytes(root)
  if (!hash || hash.length !== 32) throw bad('the root hash line is not the base64 of 32 bytes')
  if (extensions.some((l) => l.length === 0)) throw bad('an extension line is empty')
  return { origin, size: Number(size), root: hash, extensions }
}

/** The checkpoint a seal of database `key` is, and signs. */
export function sealCheckpoint(key: Uint8Array, seal: SealFacts): TlogCheckpoint {
  return {
    origin: databaseOrigin(key),
    size: seal.length,
    root: seal.accumulator,
    extensions: [STATE + bytesToBase64(seal.stateRoot), HYPERCORE + bytesToBase64(seal.treeHash), POSITIONS + bytesToBase64(seal.positions)],
  }
}

/** Reads a Glassbox checkpoint back into a seal's facts and the database key it names. */
export function sealFactsOf(c: TlogCheckpoint): { key: string; facts: SealFacts } {
  const bad = (why: string) => new NoteError('NOTE_MALFORMED', `not a Glassbox checkpoint: ${why}`)
  if (!c.origin.startsWith(ORIGIN_PREFIX) || !/^[0-9a-f]{64}$/.test(c.origin.slice(ORIGIN_PREFIX.length))) throw bad(`origin ${JSON.stringify(c.origin.slice(0, 80))} does not name a database`)
  const [state, hypercore, positions] = c.extensions
  if (c.extensions.length !== 3 || !state.startsWith(STATE) || !hypercore.startsWith(HYPERCORE) || !positions.startsWith(POSITIONS)) {
    throw bad('it needs the state, hypercore and positions extension lines, in that order')
  }
  const stateRoot = base64ToBytes(state.slice(STATE.length))
  const treeHash = base64ToBytes(hypercore.slice(HYPERCORE.length))
  const positionsHash = base64ToBytes(positions.slice(POSITIONS.length))
  if ([stateRoot, treeHash, positionsHash].some((b) => b?.length !== 32)) throw bad('the state root, the hypercore tree hash and the positions hash are 32 bytes each')
  return { key: c.origin.slice(ORIGIN_PREFIX.length), facts: { length: c.size, accumulator: c.root, stateRoot: stateRoot!, treeHash: treeHash!, positions: positionsHash! } }
}
