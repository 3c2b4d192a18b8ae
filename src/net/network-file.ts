// A directory remembers how it reached its database (D/network.json), so that later commands go
// back on the same network without repeating the flags. A joined directory needs the network for
// every command (serve, call, get...); the executor's directory only for `serve`, its other
// commands staying on local disk, so its file says it is the executor's.

import { readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DatabaseError } from '../errors.js'
import type { NetworkOptions } from './network-options.js'

const FILE = 'network.json'
const FORMAT = 'glassbox-network/1'

interface SavedNetwork {
  options: NetworkOptions
  /** Saved by the executor's own `serve`: only `serve` goes online with it. */
  executor: boolean
}

/** The network a joined directory reaches its database on, or null (none saved, or the executor's). */
export async function readNetworkFile(dir: string): Promise<NetworkOptions | null> {
  const saved = await readSaved(dir)
  return saved && !saved.executor ? saved.options : null
}

/** The network `serve` goes back on: a joined directory's, or the one the executor was last served on. */
export async function readServeNetwork(dir: string): Promise<NetworkOptions | null> {
  return (await readSaved(dir))?.options ?? null
}

async function readSaved(dir: string): Promise<SavedNetwork | null> {
  let text: string
  try {
    text = await readFile(path.join(dir, FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  try {
    const saved = JSON.parse(text) as { format?: string; executor?: boolean } & NetworkOptions
    if (saved.format !== FORMAT) throw new Error(`not ${FORMAT}`)
    return {
      options: { ...(saved.bootstrap ? { bootstrap: saved.bootstrap } : {}), ...(saved.host ? { host: saved.host } : {}) },
      executor: saved.executor === true,
    }
  } catch (err) {
    throw new DatabaseError('DATABASE_CORRUPT', `${path.join(dir, FILE)} is not a ${FORMAT} file (${(err as Error).message})`)
  }
}

export async function writeNetworkFile(dir: string, opts: NetworkOptions, saved: { executor?: boolean } = {}): Promise<void> {
  const file = path.join(dir, FILE)
  const { bootstrap, host } = opts
  const body = { format: FORMAT, ...(bootstrap ? { bootstrap } : {}), ...(host ? { host } : {}), ...(saved.executor ? { executor: true } : {}) }
  await writeFile(file + '.tmp', JSON.stringify(body, null, 2) + '\n')
  await rename(file + '.tmp', file)
}
