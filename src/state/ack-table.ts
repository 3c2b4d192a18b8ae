// Where each op was acknowledged in the index log. There is one ack per op ever processed, so
// once a state store holds them only the acks noted since its last commit stay in memory; older
// ones are read from the store on demand.

export interface AckLocation {
  /** The index log position of the op's entry. */
  seq: number
  success: boolean
}

/** Acks kept outside memory (the state store), read synchronously. */
export interface AckSource {
  readAck(origin: string, seq: number): AckLocation | undefined
}

export class AckTable {
  /** Acks noted since the source last took them (all of them without a source): oplog -> seq -> location. */
  private readonly recent = new Map<string, Map<number, AckLocation>>()
  private recentCount = 0
  private source: AckSource | null = null
  private stored = 0

  /** How many acks the table knows. */
  get size(): number {
    return this.stored + this.recentCount
  }

  get(origin: string, seq: number): AckLocation | undefined {
    return this.recent.get(origin)?.get(seq) ?? this.source?.readAck(origin, seq)
  }

  set(origin: string, seq: number, at: AckLocation): void {
    let acks = this.recent.get(origin)
    if (!acks) this.recent.set(origin, (acks = new Map()))
    if (!acks.has(seq)) this.recentCount++
    acks.set(seq, at)
  }

  /** Forgets an ack noted since the last markStored() (one of a block that was not written). */
  delete(origin: string, seq: number): boolean {
    const gone = this.recent.get(origin)?.delete(seq) ?? false
    if (gone) this.recentCount--
    return gone
  }

  /** Reads acks that are not in memory from `source`, which holds `count` of them. */
  attachSource(source: AckSource, count: number): void {
    this.source = source
    this.stored = count
  }

  /** Acks noted since the source last took them. */
  *unsaved(): IterableIterator<{ origin: string; seq: number; at: AckLocation }> {
    for (const [origin, acks] of this.recent) for (const [seq, at] of acks) yield { origin, seq, at }
  }

  /** Says the source now holds every unsaved ack: they leave memory. */
  markStored(): void {
    if (!this.source) return
    this.stored += this.recentCount
    this.recent.clear()
    this.recentCount = 0
  }
}
