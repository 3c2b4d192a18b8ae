// Replication and discovery (seed 001 §2.6, seed 002's Kademlia discovery): one Hyperswarm per
// process finds the peers of a database on the DHT and replicates every log of the local Corestore
// over each connection. A database meets its peers on one topic, its index log's discovery key;
// oplogs travel over the same connections, opened on demand by whichever side asks for them.

import type Corestore from 'corestore'
import DHT from 'hyperdht'
import Hyperswarm, { type PeerDiscovery, type SwarmConnection } from 'hyperswarm'
import { EventEmitter } from 'node:events'
import { NetworkError } from '../errors.js'
import { bindHost, isLoopback, type NetworkOptions } from './network-options.js'
import { swarmKeyPair } from './swarm-identity.js'


/**
 * Liveness. An idle connection sends an empty message every KEEP_ALIVE_MS, and one that hears
 * nothing for SILENCE_TIMEOUT_MS is dropped. Without this a peer that vanished (killed, unplugged)
 * keeps its connection open for as long as UDX retries, and Hypercore's requests to it stay in
 * flight, unasked of the peers that could answer them. The timeout leaves room for peers on
 * HyperDHT's default keep-alive (5 s).
 */
const KEEP_ALIVE_MS = 2_000
export const SILENCE_TIMEOUT_MS = 8_000

const LOOK_AGAIN_MS = 3_000

export interface JoinOptions {
  /** Announce on the DHT so that others can connect (servers, participants); else only look. */
  announce: boolean
}

/** Emits `connection` and `disconnection` (with the peer's public key, hex) as peers come and go. */
export class Replicator extends EventEmitter {
  private readonly swarm: Hyperswarm
  private readonly topics = new Map<string, PeerDiscovery>()
  private closing: Promise<void> | null = null
  private lookedAt = 0
  /** The open connection to each peer (public key, hex). */
  private readonly connections = new Map<string, SwarmConnection>()
  private readonly connectionListeners: ((peer: string, conn: SwarmConnection) => void)[] = []
  /** Connections opened since the start (a figure for metrics and tests). */
  connectionsMade = 0

  /**
   * A replicator for the logs of `corestore`. Its swarm identity is derived from the store's primary
   * key, so a peer that restarts on the same directory comes back under the same public key: peers
   * that still hold its dead connection swap it for the new one at once (Hyperswarm keeps one
   * connection per public key), instead of waiting for the dead one to time out.
   */
  static async open(corestore: Corestore, opts: NetworkOptions = {}): Promise<Replicator> {
    return new Replicator(corestore, await swarmKeyPair(corestore), opts)
  }

  private constructor(
    private readonly corestore: Corestore,
    keyPair: { publicKey: Buffer; secretKey: Buffer },
    opts: NetworkOptions,
  ) {
    super()
    const host = bindHost(opts)
    // On loopback there is no NAT or firewall, and saying so matters: a peer that calls itself
    // firewalled is reached by holepunching, which never completes between two processes on
    // 127.0.0.1 (the dialer sees a connection the other side never gets). And HyperDHT binds its
    // first free port from 49737 by default, so a restarted peer would take the port of the one
    // before it, whose announcements are still on the DHT under another record: any port instead.
    const local = host !== undefined && isLoopback(host) ? { firewalled: false, port: [0, 0] as unknown as number } : {}
    const dht = new DHT({
      ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}),
      ...(host ? { host } : {}),
      ...local,
      connectionKeepAlive: KEEP_ALIVE_MS,
    })
    this.swarm = new Hyperswarm({ dht, keyPair })
    this.swarm.on('connection', (conn: SwarmConnection) => this.onConnection(conn))
  }

  /**
   * Joins a database's topic (its index log's discovery key). An announcing peer waits until the DHT
   * holds its announcement; a looking one does not wait for its lookups, which can take as long as a
   * connection attempt to a peer that announced and went away (callers wait for a peer instead).
   */
  async join(discoveryKey: Buffer, opts: JoinOptions): Promise<void> {
    const id = discoveryKey.toString('hex')
    if (this.topics.has(id)) return
    const discovery = this.swarm.join(discoveryKey, { server: opts.announce, client: true })
    this.topics.set(id, discovery)
    this.lookedAt = Date.now()
    if (opts.announce) await discovery.flushed()
  }

  /**
   * Looks the database's peers up again, at most every LOOK_AGAIN_MS. Hyperswarm repeats a lookup
   * only every ten minutes, and a peer that only looks (a one-shot verify, a reader) is never dialled
   * by others: while it waits for something no connected peer serves, it must ask again itself to
   * find a peer that came (back) since.
   */
  lookAgain(): void {
    if (this.closing || Date.now() - this.lookedAt < LOOK_AGAIN_MS) return
    this.lookedAt = Date.now()
    for (const discovery of this.topics.values()) void discovery.refresh().catch(() => {})
  }

  /** This peer's public key on the swarm (hex): the same for every run on one directory. */
  get publicKey(): string {
    return this.swarm.keyPair.publicKey.toString('hex')
  }

  get peers(): number {
    return this.swarm.connections.size
  }

  /**
   * Resolves once the lookups of every topic have finished and the connections they found are made
   * or failed (or after `timeoutMs`): the peers connected then are every peer the DHT named.
   */
  async flush(timeoutMs: number): Promise<void> {
    await Promise.race([this.swarm.flush(), new Promise((r) => setTimeout(r, timeoutMs).unref())])
  }

  /** Resolves when at least one peer is connected; fails with NO_PEERS after `timeoutMs`. */
  async waitForPeer(timeoutMs: number, what: string): Promise<void> {
    if (this.peers > 0) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connection', onPeer)
        reject(new NetworkError('NO_PEERS', `no peer serving ${what} was found within ${Math.round(timeoutMs / 1000)} s (is a \`glassbox serve\` of it reachable, on the same DHT?)`))
      }, timeoutMs)
      const onPeer = () => {
        clearTimeout(timer)
        resolve()
      }
      this.once('connection', onPeer)
    })
  }

  private onConnection(conn: SwarmConnection): void {
    this.connectionsMade++
    const peer = conn.remotePublicKey.toString('hex')
    // A dropped peer is ordinary on a network: Hyperswarm reconnects, and replication resumes.
    conn.on('error', () => {})
    conn.setTimeout(SILENCE_TIMEOUT_MS)
    conn.once('close', () => {
      if (this.connections.get(peer) === conn) this.connections.delete(peer)
      this.emit('disconnection', peer)
    })
    this.corestore.replicate(conn)
    this.connections.set(peer, conn)
    for (const listener of this.connectionListeners) listener(peer, conn)
    this.emit('connection', peer)
  }

  /**
   * Calls `listener` with every connection open now and every one opened later, after the logs'
   * replication is on it: how other protocols put their channels beside Hypercore's.
   */
  eachConnection(listener: (peer: string, conn: SwarmConnection) => void): void {
    this.connectionListeners.push(listener)
    for (const [peer, conn] of this.connections) listener(peer, conn)
  }

  /** Leaves every topic and closes every connection (the Corestore stays open). */
  async close(): Promise<void> {
    this.closing ??= this.swarm.destroy()
    await this.closing
  }
}
