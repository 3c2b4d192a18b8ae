// Reading a log's history: index entries as their seed 001 §3.1 paths, or an oplog's ops.

import type Hypercore from 'hypercore'
import { decodeEntry, decodeOp, entryPath, type IndexEntry } from '../codec/messages.js'
import { toHex } from '../codec/hash.js'
import type { Json } from '../vm/types.js'

export interface HistoryOptions {
  /** 'index' (default), an oplog's public key (hex), or the name of a local oplog. */
  log?: string
  /** First position to read (default 0; negative counts from the end). */
  start?: number
  /** Position to stop before (default: the log's length). */
  end?: number
}

export type HistoryItem =
  | { log: 'index'; seq: number; path: string; entry: IndexEntry }
  | { log: 'oplog'; seq: number; op: Json | null; error?: string }

/**
 * Entries of the index, or ops of an oplog. `openOp` opens a confidential database's op block (its
 * bytes, or why it does not open: docs/protocol.md §17.2).
 */
export async function readHistory(core: Hypercore, kind: 'index' | 'oplog', opts: HistoryOptions, openOp?: (block: Uint8Array) => Promise<{ bytes: Uint8Array } | { error: string }>): Promise<HistoryItem[]> {
  const length = core.length
  const start = clamp(opts.start ?? 0, length)
  const end = clamp(opts.end ?? length, length)
  const out: HistoryItem[] = []
  let seq = start
  if (start >= end) return out
  for await (const block of core.createReadStream({ start, end })) {
    if (kind === 'index') {
      const entry = decodeEntry(block)
      out.push({ log: 'index', seq, path: entryPath(entry), entry })
    } else {
      try {
        const opened = openOp ? await openOp(block) : { bytes: block }
        if ('error' in opened) out.push({ log: 'oplog', seq, op: null, error: opened.error })
        else out.push({ log: 'oplog', seq, op: decodeOp(opened.bytes) })
      } catch (err) {
        out.push({ log: 'oplog', seq, op: null, error: (err as Error).message })
      }
    }
    seq++
  }
  return out
}

function clamp(n: number, length: number): number {
  if (n < 0) return Math.max(0, length + n)
  return Math.min(n, length)
}

/** A history item as plain JSON (bytes as hex), for --json output. */
export function historyItemToJson(item: HistoryItem): Json {
  return JSON.parse(JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)))
}
