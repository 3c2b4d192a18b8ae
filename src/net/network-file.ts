// A joined directory remembers how it reached its database (D/network.json), so that every later
// command on it (serve, call, get...) goes back on the same network without repeating the flags.

import { readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DatabaseError } from '../errors.js'
import type { NetworkOptions } from './network-options.js'

const FILE = 'network.json'
const FORMAT = 'glassbox-network/1'

export async function readNetworkFile(dir: string): Promise<NetworkOptions | null> {
  let text: string
  try {
    text = await readFile(path.join(dir, FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  try {
    const saved = JSON.parse(text) as { format?: string } & NetworkOptions
    if (saved.format !== FORMAT) throw new Error(`not ${FORMAT}`)
    return { ...(saved.bootstrap ? { bootstrap: saved.bootstrap } : {}), ...(saved.host ? { host: saved.host } : {}) }
  } catch (err) {
    throw new DatabaseError('DATABASE_CORRUPT', `${path.join(dir, FILE)} is not a ${FORMAT} file (${(err as Error).message})`)
  }
}

export async function writeNetworkFile(dir: string, opts: NetworkOptions): Promise<void> {
  const file = path.join(dir, FILE)
  await writeFile(file + '.tmp', JSON.stringify({ format: FORMAT, ...opts }, null, 2) + '\n')
  await rename(file + '.tmp', file)
}
