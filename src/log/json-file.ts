// Files a directory may or may not hold (a state checkpoint's parts, a published attestation, a key
// file, the manifest): their text or parsed content, or null when there is no such file. Unchecked:
// the reader checks what it gets.

import { readFile } from 'node:fs/promises'

/** The file's text, or null when there is no such file (any other failure is thrown). */
export async function readTextFile(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

export async function readJsonFile(file: string): Promise<unknown> {
  const text = await readTextFile(file)
  return text === null ? null : JSON.parse(text)
}
