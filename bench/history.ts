// Histories for the benchmarks: a kv-store database whose writer oplog holds n puts, appended
// straight to the oplog in batches (the writer side is not what the benchmarks measure).

import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { encodeOp } from '../src/codec/messages.js'
import { Database, type CreateOptions } from '../src/index.js'
import { LogStore } from '../src/log/store.js'

export const opFor = (i: number) => ({ op: 'PUT', key: `k${i}`, value: { n: i, text: 'value-' + i } })

export const progress = (msg: string) => process.stderr.write(msg + '\n')

export async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Appends puts `from`..`from + n - 1` to a local oplog, in batches of 1000. */
export async function writeOps(logs: LogStore, name: string, n: number, from = 0): Promise<void> {
  const oplog = await logs.localOplog(name)
  for (let i = from; i < from + n; i += 1000) {
    const batch = []
    for (let j = i; j < Math.min(from + n, i + 1000); j++) batch.push(Buffer.from(encodeOp(opFor(j))))
    await oplog.append(batch)
  }
}

/** A new key/value database in `dir` whose `writer` oplog holds n puts, none processed yet. */
export async function unprocessedHistory(dir: string, contract: string, n: number, opts: Omit<CreateOptions, 'contract' | 'oplogs'> = {}): Promise<void> {
  await (await Database.create(dir, { ...opts, contract, oplogs: ['writer'] })).close()
  const logs = new LogStore(dir)
  await logs.ready()
  await writeOps(logs, 'writer', n)
  await logs.close()
}
