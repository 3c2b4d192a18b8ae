// One power-loss run: an executor under load, watched the ways a length or seal leaves it (a peer
// replicating the index log, the signed head clients read, state proofs, receipts, `block` events),
// loses power at the `killAt`-th thing anyone saw; it restarts from what its disk made durable and
// runs until its log passes every length seen. Every claim seen must still hold in the restarted log.

import Corestore from 'corestore'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import { toHex } from '../../src/codec/hash.js'
import { decodeEntry, type SealEntry } from '../../src/codec/messages.js'
import { Database, type BlockEvent } from '../../src/index.js'
import type { LogStore } from '../../src/log/store.js'
import { example } from './databases.js'
import { PowerLossDisk } from './power-loss.js'

/** Something a party outside the executor was handed: the index log's tree hash at a length. */
export interface Claim {
  by: 'peer' | 'head' | 'proof' | 'receipt' | 'block'
  length: number
  hash: string
}

export interface PowerLossResult {
  /** Claims seen before the power went out. */
  claims: Claim[]
  /** Errors readers got before the power went out. */
  failures: string[]
  /** Ops whose processing (position, ack) was answered but which the restarted log holds otherwise. */
  lostAcks: string[]
  /** The index length that survived, and the one the restarted executor reached. */
  survived: number
  restarted: number
  /** Claims the restarted log contradicts (a different tree hash at that length, or none). */
  contradicted: (Claim & { now: string | null })[]
}

export interface PowerLossOptions {
  killAt: number
  blockSize?: number
  writers?: number
}

export const describeContradictions = (r: PowerLossResult): string =>
  r.contradicted.map((c) => `${c.by} saw length ${c.length} (${c.hash.slice(0, 8)}…), the restarted log has ${c.now ? c.now.slice(0, 8) + '…' : 'no such length'}`).join('; ')

const sealOf = (hex: string): SealEntry => decodeEntry(Buffer.from(hex, 'hex')) as SealEntry
const logsOf = (db: Database): LogStore => (db as unknown as { logs: LogStore }).logs

export async function runPowerLoss(opts: PowerLossOptions): Promise<PowerLossResult> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'glassbox-power-'))
  const dir = path.join(root, 'db')
  const names = Array.from({ length: opts.writers ?? 2 }, (_, i) => `w${i}`)
  const executor = { blockSize: opts.blockSize ?? 4 }
  const created = await Database.create(dir, { contract: await example('kv-store'), oplogs: names, executor })
  await created.close()
  const disk = new PowerLossDisk(dir)
  try {
    disk.synced() // closed cleanly: everything is durable
    const claims: Claim[] = []
    let cut: string | null = null
    let powerOut!: () => void
    const out = new Promise<void>((resolve) => (powerOut = resolve))
    const seen = (claim: Claim) => {
      if (cut) return
      claims.push(claim)
      if (claims.length >= opts.killAt) {
        cut = disk.cut()
        powerOut()
      }
    }

    const db = await Database.load(dir, { executor })
    db.on('block', (b: BlockEvent) => seen({ by: 'block', length: b.seal.length, hash: toHex(b.seal.treeHash) }))
    db.on('error', () => {})
    // A peer replicating the index log, as a monitor or replica would.
    const peerStore = new Corestore(path.join(root, 'peer'))
    const local = logsOf(db).corestore.replicate(true) as Duplex
    const remote = peerStore.replicate(false) as Duplex
    local.pipe(remote).pipe(local)
    local.on('error', () => {})
    remote.on('error', () => {})
    const peerIndex = peerStore.get({ key: Buffer.from(db.key, 'hex') })
    await peerIndex.ready()
    const peerHashes: Promise<void>[] = []
    peerIndex.on('append', () => {
      const length = peerIndex.length
      if (cut) return
      const claim: Claim = { by: 'peer', length, hash: '' }
      seen(claim)
      peerHashes.push(peerIndex.treeHash(length).then((h: Buffer) => void (claim.hash = toHex(h))))
    })
    const download = peerIndex.download({ start: 0, end: -1 })

    // Load: each writer puts in a loop and asks for a receipt now and then; a client reads the
    // signed head and proves a key between them.
    const writer = async (name: string) => {
      for (let i = 0; !cut; i++) {
        const { ops, whenProcessed } = await db.call('put', { key: `${name}-${i % 7}`, value: i }, { as: name })
        if (i % 3 === 1) {
          // What the op became (its position and ack) is an answer too: it must be in the log.
          const [done] = await whenProcessed()
          if (!cut) acks.push({ position: done.index, ts: done.ts, origin: done.origin, seq: done.seq })
        }
        if (i % 3 !== 0) continue
        const receipt = await db.receipt(ops)
        const seal = sealOf(receipt.anchor.seal)
        seen({ by: 'receipt', length: seal.length, hash: toHex(seal.treeHash) })
      }
    }
    const acks: { position: number; ts: number; origin: string; seq: number }[] = []
    const client = async () => {
      while (!cut) {
        const head = await db.head()
        if (head.length > 0) seen({ by: 'head', length: head.length, hash: head.hash })
        const read = await db.get(`/values/${names[0]}-0`, { proof: true })
        const seal = sealOf(read.proof.anchor.seal)
        seen({ by: 'proof', length: seal.length, hash: toHex(seal.treeHash) })
      }
    }
    // A reader's call that fails before the cut is a bug too (not a contradiction, but no answer).
    const failures: string[] = []
    const load = Promise.all(
      [...names.map(writer), client()].map((p) => p.catch((err: Error) => void (cut || failures.push(err.message)))),
    )
    await out
    await Promise.all(peerHashes)
    // The machine is gone: whatever these do after the cut touches files that no longer count.
    download.destroy()
    const closed = Promise.all([once(local, 'close'), once(remote, 'close')])
    local.destroy()
    remote.destroy()
    await closed
    await db.close().catch(() => {})
    await load

    const restored = await Database.load(cut!, { executor })
    try {
      const survived = restored.length
      const target = Math.max(...claims.map((c) => c.length))
      for (let i = 0; restored.length < target; i++) {
        const { whenProcessed } = await restored.call('put', { key: `after-${i}`, value: i }, { as: names[i % names.length] })
        await whenProcessed()
      }
      await restored.settled()
      const contradicted: PowerLossResult['contradicted'] = []
      for (const claim of claims) {
        const now = claim.length <= restored.length ? await restored.indexHash(claim.length) : null
        if (now !== claim.hash) contradicted.push({ ...claim, now })
      }
      const lostAcks: string[] = []
      for (const a of acks) {
        const [item] = await restored.history({ start: a.position, end: a.position + 1 })
        const ack = item?.log === 'index' && item.entry.type === 'op' ? item.entry.ack : null
        if (ack?.origin !== a.origin || ack.seq !== a.seq || ack.ts !== a.ts) lostAcks.push(`op ${a.seq} of ${a.origin.slice(0, 8)}… acked at ${a.position}`)
      }
      return { claims, failures, lostAcks, survived, restarted: restored.length, contradicted }
    } finally {
      await restored.close()
      // Only now: closing it earlier can cut a block it was still verifying from its storage.
      await peerStore.close()
    }
  } finally {
    disk.dispose()
    await rm(root, { recursive: true, force: true })
  }
}
