// What the index log says, folded entry by entry: the contract state (user keys plus the `.sys/`
// keys of seed 001 §3.1), the active inputs, and where each oplog's ops were acknowledged.
// The executor and every local reader derive their view with this one fold.

import { inputKey, SYS, type IndexEntry, type OpEntry, type SealEntry } from '../codec/messages.js'
import type { Change, Json } from '../vm/types.js'
import { AuthMap } from './auth/auth-map.js'
import { AckTable, type AckLocation } from './ack-table.js'
import type { Undo } from './memory-state.js'

export type { AckLocation } from './ack-table.js'

/** An op entry with or without its post-state root (the root is computed after the fold). */
type Foldable = IndexEntry | Omit<OpEntry, 'stateRoot'>

export class IndexState {
  constructor(
    /** The contract state, committed by the authenticated map whose root op entries carry. */
    readonly state: AuthMap = new AuthMap(),
  ) {}

  /** Entries folded so far (the index length this view reflects). */
  length = 0
  runtime: string | null = null
  genesisDone = false
  /** The highest op seq acknowledged per oplog (hex key); absent: none yet. */
  readonly lastSeq = new Map<string, number>()
  /** Index position of the entry that acknowledged each op (older ones may be in the state store). */
  readonly acks = new AckTable()
  /** The latest block seal folded, and its index position. */
  lastSeal: { position: number; seal: SealEntry } | null = null

  get source(): string {
    const code = this.state.get(SYS.source)
    return typeof code === 'string' ? code : ''
  }

  isInput(pubkey: string): boolean {
    return this.state.has(inputKey(pubkey))
  }

  inputs(): string[] {
    return this.state.list(SYS.inputsPrefix).map((e) => e.key.slice(SYS.inputsPrefix.length))
  }

  /** The next op seq the executor owes this oplog. */
  nextSeq(pubkey: string): number {
    return (this.lastSeq.get(pubkey) ?? -1) + 1
  }

  ackOf(origin: string, seq: number): AckLocation | undefined {
    return this.acks.get(origin, seq)
  }

  /** Folds the entry at position `this.length`; returns the state changes it made. */
  fold(entry: Foldable, undo?: Undo[]): readonly Change[] {
    const changes = entryChanges(entry)
    this.state.apply(changes, undo)
    if (entry.type === 'header') this.runtime = entry.runtime
    else if (entry.type === 'genesis') this.genesisDone = true
    else if (entry.type === 'op') this.noteAck(entry)
    else if (entry.type === 'seal') this.lastSeal = { position: this.length, seal: entry }
    this.length++
    return changes
  }

  private noteAck(entry: Omit<OpEntry, 'stateRoot'>): void {
    const { origin, seq, success } = entry.ack
    this.lastSeq.set(origin, seq)
    this.acks.set(origin, seq, { seq: this.length, success })
  }

  /** Undoes the bookkeeping of op entries folded after `length` (their state undo is separate). */
  forgetOps(entries: readonly Omit<OpEntry, 'stateRoot'>[], length: number, previousLastSeq: Map<string, number | undefined>): void {
    for (const e of entries) this.acks.delete(e.ack.origin, e.ack.seq)
    for (const [origin, seq] of previousLastSeq) {
      if (seq === undefined) this.lastSeq.delete(origin)
      else this.lastSeq.set(origin, seq)
    }
    this.length = length
  }
}

/** The state changes an index entry stands for: genesis entries write `.sys/` keys too. */
export function entryChanges(entry: Foldable): readonly Change[] {
  switch (entry.type) {
    case 'contract':
      return [{ type: 'put', key: SYS.source, value: entry.code }]
    case 'input':
      return [{ type: 'put', key: inputKey(entry.pubkey), value: { pubkey: entry.pubkey } as Json }]
    case 'op':
      return entry.changes
    default:
      return []
  }
}
