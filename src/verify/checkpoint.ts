// A monitor's persisted position: how far it verified, the roots it saw, and any breach it found.
// Written atomically (temp file + rename), so a crash leaves the previous checkpoint intact.

import { mkdir, rename, writeFile } from 'node:fs/promises'
import { readTextFile } from '../log/json-file.js'
import path from 'node:path'
import { VerifyError } from './replay.js'
import type { BreachNotice, SignedRoot } from './breach.js'
import type { UnsealedTail } from './liveness.js'
import type { WaitingOp } from './op-watch.js'

export interface Checkpoint {
  format: 'glassbox-monitor/1'
  /** The database key the checkpoint belongs to. */
  index: string
  /** Index entries verified. */
  verified: number
  heads: { index: SignedRoot; oplogs: Record<string, SignedRoot> }
  breach: BreachNotice | null
  /** The last seal verified: its index position and canonical bytes (hex). Absent in older checkpoints. */
  lastSeal?: { position: number; seal: string }
  /**
   * The length of the state checkpoint (kept beside this file, in state-checkpoints/) the run
   * started from, for a replica synced from one: it holds no entries before it, so it resumes there.
   */
  base?: number
  /** Entries seen with no seal after them: from which position, and since when (ms since 1970). */
  unsealed?: UnsealedTail
  /** Ops seen waiting for an ack, by oplog: which, since when, and the heads seen then. */
  waitingOps?: Record<string, WaitingOp>
}

export async function readCheckpoint(file: string, key: string): Promise<Checkpoint | null> {
  const text = await readTextFile(file)
  if (text === null) return null
  let c: Checkpoint
  try {
    c = JSON.parse(text)
  } catch {
    throw new VerifyError('CHECKPOINT_CORRUPT', `${file} is not valid JSON; remove it to verify from the start`)
  }
  if (c?.format !== 'glassbox-monitor/1' || !Number.isSafeInteger(c.verified) || typeof c.heads?.index?.hash !== 'string') {
    throw new VerifyError('CHECKPOINT_FORMAT', `${file} is not a glassbox-monitor/1 checkpoint`)
  }
  if (c.index !== key) {
    throw new VerifyError('CHECKPOINT_OTHER_DATABASE', `${file} belongs to database ${c.index.slice(0, 8)}…, not ${key.slice(0, 8)}…`)
  }
  // Resuming reads the entries before `verified`; the index root checked first must cover them,
  // or a log cut shorter than the checkpoint claims would leave the read waiting forever.
  const covered = c.heads.index.length
  if (c.verified < 0 || !Number.isSafeInteger(covered) || covered < c.verified) {
    throw new VerifyError('CHECKPOINT_FORMAT', `${file} claims ${c.verified} entries verified but records the index root at length ${covered}; remove it to verify from the start`)
  }
  return c
}

export async function writeCheckpoint(file: string, c: Checkpoint): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp`
  await writeFile(tmp, JSON.stringify(c) + '\n')
  await rename(tmp, file)
}
