// Confidential databases in tests: a peer's copy of the logs that holds none of the keys, and what a
// directory keeps of its state checkpoints.

import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { confidentialSettings } from '../../src/confidential/open.js'
import { LogStore } from '../../src/log/store.js'
import { copyLogs } from '../../src/sandbox/copy-logs.js'
import { checkpointsDir } from '../../src/state/checkpoint/checkpoint-files.js'
import { tempDir } from './databases.js'

/** Copies the index, keys log and oplogs of `dir` into a fresh store holding none of its keys. */
export async function replicaWithoutKeys(t: TestContext, dir: string): Promise<{ replica: string; key: string; keys: string }> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
  const replica = await tempDir(t)
  const from = new LogStore(dir, { readOnly: true })
  const to = new LogStore(replica)
  await Promise.all([from.ready(), to.ready()])
  const settings = (await confidentialSettings(await from.byPubkey(manifest.key)))!
  const pubkeys = [manifest.key, settings.keys, ...Object.values(manifest.oplogs as Record<string, string>)]
  // The index, the keys log and the oplogs, as any peer may fetch them.
  await copyLogs(from, to, pubkeys)
  await Promise.all([from.close(), to.close()])
  await writeFile(path.join(replica, 'manifest.json'), JSON.stringify({ format: 'glassbox-dir/1', key: manifest.key, oplogs: {} }))
  return { replica, key: manifest.key, keys: settings.keys }
}


/** Every file kept under D/state-checkpoints, as one text: a value in it is kept in the clear. */
export async function keptCheckpointText(dir: string): Promise<string> {
  let out = ''
  for (const length of await readdir(checkpointsDir(dir))) {
    for (const f of await readdir(path.join(checkpointsDir(dir), length))) out += await readFile(path.join(checkpointsDir(dir), length, f), 'utf8')
  }
  return out
}
