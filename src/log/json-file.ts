// A JSON file a directory may or may not hold (a state checkpoint's parts, a published attestation):
// its parsed content, or null when there is no such file. Unchecked: the reader checks what it gets.

import { readFile } from 'node:fs/promises'

export async function readJsonFile(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  return JSON.parse(text)
}
