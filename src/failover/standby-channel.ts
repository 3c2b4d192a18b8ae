// The standby channel (docs/protocol.md §18.2): one more Protomux channel on every connection of a
// database's swarm. The executor forwards each block to its standby on it and appends the block only
// once the standby answers that it holds it; the standby answers the executor alone, which proves
// itself at the channel's opening by signing both ends' swarm keys with the index log's key pair.
// Whoever is not a standby answers too: the executor (or a standby that took over) says "fenced",
// so an executor that lost its place learns it before it writes; anyone else says "refused".

import c from 'compact-encoding'
import Protomux, { type Channel, type Message } from 'protomux'
import type { SwarmConnection } from 'hyperswarm'
import { encode } from '../codec/canonical.js'
import { fromHex, toHex } from '../codec/hash.js'
import { sign, verifySignature } from '../codec/sign.js'
import type Hypercore from 'hypercore'
import { signerOf } from '../log/seal.js'
import type { Replicator } from '../net/replicator.js'

export const STANDBY_PROTOCOL = 'glassbox/standby/1'

/** Executor → standby. */
export type ToStandby =
  | { kind: 'hello'; signature: string }
  /** `log: "keys"` for a confidential database's keys log; absent for the index log. */
  | { kind: 'forward'; start: number; blocks: string[]; log?: 'keys' }
  | { kind: 'ping' }

/** Standby (or anyone asked) → executor. */
export type ToExecutor =
  | { kind: 'held'; end: number; log?: 'keys' }
  /** This peer writes the log (it is its executor, or took over): the asker must not append. */
  | { kind: 'fenced'; length: number }
  | { kind: 'refused'; reason: string }

/** What a peer answers to an authenticated executor's messages (a standby, or a writer that fences). */
export interface StandbyResponder {
  /** A message from the executor, proven by its hello; answers go back through `reply`. */
  fromExecutor(peer: string, m: ToStandby, reply: (answer: ToExecutor) => void): void
}

/** The bytes the executor signs to prove, on one connection, that it holds the index log's key pair. */
export function helloMessage(indexKey: Uint8Array, executorSwarm: string, standbySwarm: string): Uint8Array {
  return encode(['glassbox/standby-hello/1', indexKey, fromHex(executorSwarm), fromHex(standbySwarm)])
}

/** The executor's end of the channel to one peer: sends, and hands the peer's answers on. */
export interface ExecutorEnd {
  send(m: ToStandby): void
  readonly peer: string
}

/**
 * The standby channel on every connection of `replicator`, for the database of `index`. `responder` answers the executor's messages (null: this peer only
 * refuses); `onAnswer` receives what peers answer to this side's own messages.
 */
export class StandbyChannels {
  responder: StandbyResponder | null = null
  private readonly ends = new Map<string, PeerEnd>()
  private readonly openListeners: ((end: ExecutorEnd) => void)[] = []
  private readonly answerListeners: ((peer: string, m: ToExecutor) => void)[] = []
  private readonly closeListeners: ((peer: string) => void)[] = []

  constructor(
    private readonly replicator: Replicator,
    /** The index log: its key names the channel, and its signer is who may say hello. */
    private readonly index: Hypercore,
  ) {
    replicator.eachConnection((peer, conn) => this.attach(peer, conn))
  }

  /** Calls `listener` with every channel open now and every one opened later. */
  onOpen(listener: (end: ExecutorEnd) => void): void {
    this.openListeners.push(listener)
    for (const end of this.ends.values()) if (end.isOpen) listener(end)
  }

  onAnswer(listener: (peer: string, m: ToExecutor) => void): void {
    this.answerListeners.push(listener)
  }

  onClose(listener: (peer: string) => void): void {
    this.closeListeners.push(listener)
  }

  /** The open end to `peer`, if its connection carries the channel now. */
  openEnd(peer: string): ExecutorEnd | null {
    const end = this.ends.get(peer)
    return end && end.isOpen ? end : null
  }

  /** The hello this side sends to `peer` when it holds the index key pair. */
  hello(secretKey: Uint8Array, peer: string): ToStandby {
    return { kind: 'hello', signature: toHex(sign(helloMessage(this.index.key, this.replicator.publicKey, peer), secretKey)) }
  }

  private attach(peer: string, conn: SwarmConnection): void {
    const mux = Protomux.from(conn)
    let end: PeerEnd | null = null
    const channel = mux.createChannel({
      protocol: STANDBY_PROTOCOL,
      id: this.index.discoveryKey,
      onopen: () => {
        if (!end) return
        end.isOpen = true
        for (const l of this.openListeners) l(end)
      },
      onclose: () => {
        if (this.ends.get(peer) === end) this.ends.delete(peer)
        for (const l of this.closeListeners) l(peer)
      },
    })
    if (!channel) return
    end = new PeerEnd(channel, peer, this)
    this.ends.set(peer, end)
    channel.open()
  }

  /** A message from `peer` to this side as a standby: answered only once the peer proved itself the executor. */
  received(end: PeerEnd, m: ToStandby): void {
    if (m?.kind === 'hello') {
      const signature = typeof m.signature === 'string' && /^[0-9a-f]{128}$/.test(m.signature) ? fromHex(m.signature) : null
      end.executor = signature !== null && this.index.manifest !== null && verifySignature(signature, helloMessage(this.index.key, end.peer, this.replicator.publicKey), signerOf(this.index))
      if (!end.executor) end.answer({ kind: 'refused', reason: "the hello is not signed by the index log's key pair for this connection" })
      return
    }
    if (!end.executor) {
      end.answer({ kind: 'refused', reason: 'no hello from the executor on this connection' })
      return
    }
    if (!this.responder) {
      end.answer({ kind: 'refused', reason: 'this peer is not a standby of the database' })
      return
    }
    this.responder.fromExecutor(end.peer, m, (a) => end.answer(a))
  }

  answered(peer: string, m: ToExecutor): void {
    for (const l of this.answerListeners) l(peer, m)
  }
}

/** One connection's channel, both ways. */
class PeerEnd implements ExecutorEnd {
  isOpen = false
  /** Whether the peer proved on this connection that it holds the index key pair. */
  executor = false
  private readonly toStandby: Message<ToStandby>
  private readonly toExecutor: Message<ToExecutor>

  constructor(
    channel: Channel,
    readonly peer: string,
    channels: StandbyChannels,
  ) {
    this.toStandby = channel.addMessage({ encoding: c.json as never, onmessage: (m) => channels.received(this, m) })
    this.toExecutor = channel.addMessage({ encoding: c.json as never, onmessage: (m) => channels.answered(peer, m) })
  }

  send(m: ToStandby): void {
    this.toStandby.send(m)
  }

  answer(m: ToExecutor): void {
    this.toExecutor.send(m)
  }
}
