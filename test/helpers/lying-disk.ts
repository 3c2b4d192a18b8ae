// A lying disk for the state store: rewrites bytes of a file in place, as a failing disk or a
// careless hand would. LMDB memory-maps its file, so a process that holds the store open sees the
// new bytes on its next read, without any notice.

import { open, readFile } from 'node:fs/promises'

/**
 * Replaces every occurrence of `from` in `file` by `to` (same length), in place; returns how many
 * it replaced. Copy-on-write leaves old copies of a value in free pages: all of them are rewritten,
 * so the live one is too.
 */
export async function alterInPlace(file: string, from: string, to: string): Promise<number> {
  const a = Buffer.from(from, 'utf8')
  const b = Buffer.from(to, 'utf8')
  if (a.length !== b.length) throw new RangeError('alterInPlace() keeps the file layout: from and to must have the same length')
  const bytes = await readFile(file)
  const handle = await open(file, 'r+')
  let count = 0
  try {
    for (let at = bytes.indexOf(a); at !== -1; at = bytes.indexOf(a, at + a.length)) {
      await handle.write(b, 0, b.length, at)
      count++
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
  return count
}
