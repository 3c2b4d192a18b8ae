// A database made in the test process by the code of `glassbox init`, for tests whose subject is
// not `init`: the same files on disk, without starting a `glassbox` process.

import assert from 'node:assert/strict'
import { init } from '../../src/cli/commands/init.js'
import { Database } from '../../src/database.js'
import type { Json } from '../../src/index.js'

/**
 * What `glassbox init FILE --dir DIR` does (one local oplog named "main"), then `script` against the
 * open database (its executor running); waits for every op to be processed and closes it.
 */
export async function initLikeCli(file: string, dir: string, script: (db: Database) => Promise<void> = async () => {}): Promise<void> {
  await init({ file, dir, oplogs: ['main'], inputs: [] })
  const db = await Database.load(dir)
  try {
    await script(db)
    await db.settled()
  } finally {
    await db.close()
  }
}

/** Calls `method`, waits until the executor processed the ops it emitted, and checks that each succeeded. */
export async function callAndWait(db: Database, method: string, params: Json = {}): Promise<void> {
  for (const op of await (await db.call(method, params)).whenProcessed()) assert.equal(op.success, true, `${method}: ${op.error}`)
}
