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
  /** Acks handed to a commit that has not landed yet (takeUnsaved): still read from here. */
  private flight: Map<string, Map<number, AckLocation>> | null = null
  private flightCount = 0

  /** How many acks the table knows. */
  get size(): number {
    return this.stored + this.flightCount + this.recentCount
  }

  get(origin: string, seq: number): AckLocation | undefined {
    return this.recent.get(origin)?.get(seq) ?? this.flight?.get(origin)?.get(seq) ?? this.source?.readAck(origin, seq)
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

  /**
   * Hands the unsaved acks to a commit that lands later (StateStore.commitInBackground); they are
   * read from memory until `landed`. One commit at a time.
   */
  takeUnsaved(): { origin: string; seq: number; at: AckLocation }[] {
    if (this.flight) throw new Error('the acks of another commit have not landed yet')
    const taken = [...this.unsaved()]
    this.flight = new Map(this.recent)
    this.flightCount = this.recentCount
    this.recent.clear()
    this.recentCount = 0
    return taken
  }

  /** The commit of the acks taken landed (they leave memory), or failed (they are unsaved again). */
  landed(ok: boolean): void {
    const flight = this.flight
    if (!flight) return
    this.flight = null
    if (ok && this.source) {
      this.stored += this.flightCount
    } else {
      for (const [origin, acks] of flight) for (const [seq, at] of acks) if (this.recent.get(origin)?.has(seq) !== true) this.set(origin, seq, at)
    }
    this.flightCount = 0
  }
}
