// State checkpoints over the swarm (docs/protocol.md §12.4): every connection of a database's swarm
// carries one more Protomux channel beside Hypercore's, on which either side may ask the other for
// the state checkpoints it keeps, their manifests and their chunks. The answers are the same JSON as
// the HTTP API's; the asker checks them against the seal they name, so the peer is trusted with
// nothing, and a peer that answers with anything else is just a source that does not check.

import c from 'compact-encoding'
import Protomux, { type Channel, type Message } from 'protomux'
import type { SwarmConnection } from 'hyperswarm'
import { listStateCheckpoints, readServed } from '../state/checkpoint/checkpoint-files.js'
import { NetworkError } from '../errors.js'
import type { Replicator } from './replicator.js'

export const CHECKPOINT_PROTOCOL = 'glassbox/state-checkpoints/1'

/** What may be asked: the list (neither field), a manifest (`length`), or a chunk (both). */
export interface CheckpointRequest {
  length?: number
  chunk?: number
}

interface RequestMessage extends CheckpointRequest {
  id: number
}

interface ResponseMessage {
  id: number
  body?: unknown
  error?: string
}

/** Requests one peer may have in flight here; more are refused, so a peer cannot queue unbounded disk reads. */
const MAX_SERVING = 8

/** A source of state checkpoints for chunk sync (state-sync.ts): a peer on the swarm, or an HTTP API. */
export interface CheckpointSource {
  /** How reports name it: `swarm:<peer public key>`. */
  name: string
  ask(request: CheckpointRequest): Promise<unknown>
}

/** One connection's channel: answers the peer from `dir` and carries our own requests. */
class PeerChannel {
  private readonly channel: Channel
  private readonly request: Message<RequestMessage>
  private readonly response: Message<ResponseMessage>
  private readonly waiting = new Map<number, { resolve(body: unknown): void; reject(err: Error): void }>()
  private nextId = 1
  private serving = 0

  constructor(
    channel: Channel,
    private readonly dir: string | null,
    private readonly peer: string,
    private readonly sealedOnly: () => Promise<boolean>,
  ) {
    this.channel = channel
    this.request = channel.addMessage({ encoding: c.json as never, onmessage: (m) => void this.answer(m) })
    this.response = channel.addMessage({ encoding: c.json as never, onmessage: (m) => this.settle(m) })
  }

  /** Asks the peer; fails if it does not speak the protocol, goes away, or does not answer in `timeoutMs`. */
  async ask(req: CheckpointRequest, timeoutMs: number): Promise<unknown> {
    if (!(await this.channel.fullyOpened())) throw new NetworkError('NO_CHECKPOINTS', `peer ${this.peer.slice(0, 8)}… does not serve state checkpoints`)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new NetworkError('TIMEOUT', `peer ${this.peer.slice(0, 8)}… did not answer within ${Math.round(timeoutMs / 1000)} s`))
      }, timeoutMs)
      this.waiting.set(id, {
        resolve: (body) => {
          clearTimeout(timer)
          resolve(body)
        },
        reject: (err) => {
          clearTimeout(timer)
          reject(err)
        },
      })
      this.request.send({ id, ...req })
    })
  }

  /** The peer went away: whatever it owed us will not come. */
  closed(): void {
    for (const w of this.waiting.values()) w.reject(new NetworkError('PEER_GONE', `peer ${this.peer.slice(0, 8)}… closed the connection`))
    this.waiting.clear()
  }

  private settle(m: ResponseMessage): void {
    const id = typeof m?.id === 'number' ? m.id : -1
    const w = this.waiting.get(id)
    // An answer to nothing we asked (a late one, or a peer making things up) is dropped.
    if (!w) return
    this.waiting.delete(id)
    if (typeof m.error === 'string') w.reject(new NetworkError('PEER_REFUSED', m.error.slice(0, 500)))
    else w.resolve(m.body)
  }

  private async answer(m: RequestMessage): Promise<void> {
    if (!Number.isSafeInteger(m?.id)) return
    if (this.serving >= MAX_SERVING) {
      this.response.send({ id: m.id, error: `busy: at most ${MAX_SERVING} requests at once` })
      return
    }
    this.serving++
    try {
      this.response.send({ id: m.id, ...(await this.read(m)) })
    } catch (err) {
      this.response.send({ id: m.id, error: `could not read it: ${(err as Error).message}` })
    } finally {
      this.serving--
    }
  }

  private async read(m: RequestMessage): Promise<{ body: unknown } | { error: string }> {
    const { length, chunk } = m
    const index = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
    if (length === undefined && chunk === undefined) return { body: { checkpoints: this.dir ? await listStateCheckpoints(this.dir) : [] } }
    if (!index(length) || (chunk !== undefined && !index(chunk))) return { error: 'a request names a length, and a chunk with it, as integers from 0' }
    const body = this.dir === null ? null : await readServed(this.dir, length, chunk, await this.sealedOnly())
    if (body === null) return { error: chunk === undefined ? `no state checkpoint at length ${length} is kept here` : `no chunk ${chunk} of a state checkpoint at length ${length} is kept here` }
    return { body }
  }
}

/**
 * The checkpoint channel on every connection of `replicator` for the database whose index log has
 * `discoveryKey`: serves the checkpoints kept in `dir` (none when null) and lets this side ask peers.
 * `sealedOnly` says, when a part is asked for, whether only sealed ones may be served (§17.8).
 */
export class CheckpointPeers {
  private readonly channels = new Map<string, PeerChannel>()

  constructor(
    replicator: Replicator,
    private readonly discoveryKey: Buffer,
    private readonly dir: string | null,
    private readonly sealedOnly: () => Promise<boolean>,
  ) {
    replicator.eachConnection((peer, conn) => this.attach(peer, conn))
  }

  /** The peers connected now that might serve checkpoints. */
  get peers(): string[] {
    return [...this.channels.keys()]
  }

  source(peer: string, timeoutMs: number): CheckpointSource {
    return {
      name: `swarm:${peer}`,
      ask: (req) => {
        const channel = this.channels.get(peer)
        if (!channel) return Promise.reject(new NetworkError('PEER_GONE', `peer ${peer.slice(0, 8)}… is no longer connected`))
        return channel.ask(req, timeoutMs)
      },
    }
  }

  private attach(peer: string, conn: SwarmConnection): void {
    const mux = Protomux.from(conn)
    let channel: PeerChannel | null = null
    const opened = mux.createChannel({
      protocol: CHECKPOINT_PROTOCOL,
      id: this.discoveryKey,
      onclose: () => {
        channel?.closed()
        if (this.channels.get(peer) === channel) this.channels.delete(peer)
      },
    })
    // Null when the connection is already gone, or carries this channel already.
    if (!opened) return
    channel = new PeerChannel(opened, this.dir, peer, this.sealedOnly)
    this.channels.set(peer, channel)
    opened.open()
  }
}
