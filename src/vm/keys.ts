// Key order and key rules shared by the overlay and the host side of `tx`.

export { compareKeys } from '../state/key-order.js'

import { isPubkeyHex } from '../codec/hash.js'
import { utf8Length } from '../codec/primitives.js'
import { SYS } from '../codec/messages.js'

export const SYS_PREFIX = '.sys/'
export const INPUTS_PREFIX = SYS.inputsPrefix
export const SOURCE_KEY = SYS.source
export const isPubkey = isPubkeyHex

export function utf8Bytes(text: string): number {
  return utf8Length(text)
}

/** The error that a key breaks, or null; `.sys/` is checked separately because reads may use it. */
export function keyProblem(key: string, maxKeyBytes: number): string | null {
  if (key.length === 0) return 'key must not be empty'
  if (!key.isWellFormed()) return 'key must be well-formed Unicode (it holds a lone surrogate)'
  const bytes = utf8Bytes(key)
  if (bytes > maxKeyBytes) return `key is ${bytes} bytes, over the ${maxKeyBytes}-byte limit (maxKeyBytes)`
  return null
}
