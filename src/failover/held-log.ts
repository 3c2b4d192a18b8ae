// The blocks a standby holds (docs/protocol.md §18.1): a block journal (log/block-journal.ts) in the
// standby's directory. A record stays until the standby's replica holds its blocks on stable
// storage: the replica's own writes are not synced as they arrive, so after a power loss it may be
// shorter than it was, and the held blocks must still cover the difference.

import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { BlockJournal, readJournal, supersede as supersedeRecord, type JournalRecord } from '../log/block-journal.js'

export const HELD_FILE = 'standby-held.log'

/** Blocks forwarded at `start` of one log (one append of the executor): the index log, or 'keys'. */
export type HeldBlock = JournalRecord<'keys'>

export type HeldLog = BlockJournal

export const HeldLog = {
  /** Opens (or makes) the file in `dir`, and the blocks it holds, in the order they were held. */
  async open(dir: string): Promise<{ log: BlockJournal; held: HeldBlock[] }> {
    const { log, records } = await BlockJournal.open(path.join(dir, HELD_FILE))
    return { log, held: onlyExecutorLogs(records) }
  },
}

export const supersede = (held: readonly HeldBlock[], block: HeldBlock): HeldBlock[] => onlyExecutorLogs(supersedeRecord(held, block))

/** A standby holds the executor's logs only (standby.ts refuses forwards of anything else). */
function onlyExecutorLogs(records: readonly JournalRecord[]): HeldBlock[] {
  return records.filter((r): r is HeldBlock => r.log === undefined || r.log === 'keys')
}

/** The blocks held in `dir` (see readJournal). Empty when there is no file. */
export async function readHeld(dir: string): Promise<HeldBlock[]> {
  return onlyExecutorLogs(await readJournal(path.join(dir, HELD_FILE)))
}

export async function removeHeld(dir: string): Promise<void> {
  await rm(path.join(dir, HELD_FILE), { force: true })
}

export function heldFileExists(dir: string): boolean {
  return existsSync(path.join(dir, HELD_FILE))
}
