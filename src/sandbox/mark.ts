// The file that marks a directory as a sandbox (a fork made by `glassbox sandbox`), so that neither a
// person nor a tool mistakes it for the database it was forked from.

import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

export const SANDBOX_FORMAT = 'glassbox-sandbox/1'

export interface SandboxMark {
  format: typeof SANDBOX_FORMAT
  /** The key of the database this sandbox was forked from (the fork has its own key). */
  forkOf: string
  /** Where that database was, as given when forking. */
  originalDir: string
  /** How many of its index entries were replayed. */
  replayedLength: number
  /** The contract file that replaced the original's. */
  contract: string
  created: string
}

export function sandboxMarkPath(dir: string): string {
  return path.join(dir, 'sandbox.json')
}

/** The mark of `dir`, or null when it is not a sandbox. */
export async function readSandboxMark(dir: string): Promise<SandboxMark | null> {
  try {
    const mark = JSON.parse(await readFile(sandboxMarkPath(dir), 'utf8')) as SandboxMark
    return mark?.format === SANDBOX_FORMAT ? mark : null
  } catch {
    return null
  }
}

export async function writeSandboxMark(dir: string, mark: SandboxMark): Promise<void> {
  await writeFile(sandboxMarkPath(dir), JSON.stringify(mark, null, 2) + '\n')
}
