// What a peer without a key checks of a confidential database it reaches over the network
// (docs/protocol.md §17.5): it replicates the index log and the keys log into a replica directory and
// checks every seal there, as `verify --seals-only` does for a local copy.

import { UsageError } from '../errors.js'
import { confidentialSettings } from '../confidential/open.js'
import { checkSeals, type SealCheckReport } from '../confidential/seal-check.js'
import { LogStore } from '../log/store.js'
import type { NetworkOptions } from './network-options.js'
import { replicateDatabase } from './replicate-database.js'

export async function checkRemoteSeals(dir: string, key: string, opts: NetworkOptions & { onProgress?: (done: number, total: number) => void } = {}): Promise<SealCheckReport> {
  const { onProgress, ...network } = opts
  const store = new LogStore(dir)
  await store.ready()
  try {
    const index = await store.byPubkey(key)
    const { replicator } = await replicateDatabase(store, index, network)
    try {
      const settings = await confidentialSettings(index, { wait: true })
      if (!settings) throw new UsageError('USAGE', `database ${key.slice(0, 8)}… is not confidential: verify it in full`)
      const keysLog = await store.byPubkey(settings.keys)
      await keysLog.update({ wait: true }).catch(() => false)
      return await checkSeals(index, settings, keysLog, onProgress)
    } finally {
      await replicator.close()
    }
  } finally {
    await store.close()
  }
}
