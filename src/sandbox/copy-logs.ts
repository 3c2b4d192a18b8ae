// Copies oplogs from the original's store into the fork's, by Hypercore replication between the two
// stores in this process: the fork then holds the participants' own signed logs (the ops its entries
// acknowledge), checkable by `glassbox verify` like any replica, and never a key that could sign them.

import type Hypercore from 'hypercore'
import type { Duplex } from 'node:stream'
import type { LogStore } from '../log/store.js'

export async function copyLogs(from: LogStore, to: LogStore, pubkeys: readonly string[]): Promise<void> {
  // One replication stream per log: on a stream that is already running, a log both stores open
  // afterwards was seen never to get a channel (the second of several never arrived).
  for (const pubkey of pubkeys) await copyLog(from, to, pubkey)
}

async function copyLog(from: LogStore, to: LogStore, pubkey: string): Promise<void> {
  const source = await from.byPubkey(pubkey)
  if (source.length === 0) return
  const a = from.corestore.replicate(true) as Duplex
  const b = to.corestore.replicate(false) as Duplex
  a.pipe(b).pipe(a)
  try {
    const target = await to.byPubkey(pubkey)
    await reach(target, source.length)
    await target.download({ start: 0, end: source.length }).done()
  } finally {
    a.destroy()
    b.destroy()
  }
}

/** Waits until `core` knows a signed length of at least `length` from the peer. */
async function reach(core: Hypercore, length: number): Promise<void> {
  while (core.length < length) {
    const grown = await core.update({ wait: true })
    if (!grown && core.length < length) throw new Error(`could not copy ${core.length}/${length} blocks of log ${core.key.toString('hex').slice(0, 8)}…`)
  }
}
