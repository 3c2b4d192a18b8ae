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

export interface JoinOptions {
  /** Announce on the DHT so that others can connect (servers, participants); else only look. */
  announce: boolean
}

/** Emits `connection` and `disconnection` (with the peer's public key, hex) as peers come and go. */
export class Replicator extends EventEmitter {
  private readonly swarm: Hyperswarm
  private readonly topics = new Map<string, PeerDiscovery>()
  private closing: Promise<void> | null = null
  /** Connections opened since the start (a figure for metrics and tests). */
  connectionsMade = 0

  constructor(
    private readonly corestore: Corestore,
    opts: NetworkOptions = {},
  ) {
    super()
    const host = bindHost(opts)
    // On loopback there is no NAT or firewall, and saying so matters: a peer that calls itself
    // firewalled is reached by holepunching, which never completes between two processes on
    // 127.0.0.1 (the dialer sees a connection the other side never gets). And HyperDHT binds its
    // first free port from 49737 by default, so a restarted peer would take the port of the one
    // before it, whose announcements are still on the DHT under another key: any port instead.
    const local = host !== undefined && isLoopback(host) ? { firewalled: false, port: [0, 0] as unknown as number } : {}
    const dht = new DHT({ ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}), ...(host ? { host } : {}), ...local })
    this.swarm = new Hyperswarm({ dht })
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
    if (opts.announce) await discovery.flushed()
  }

  get peers(): number {
    return this.swarm.connections.size
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
    conn.once('close', () => this.emit('disconnection', peer))
    this.corestore.replicate(conn)
    this.emit('connection', peer)
  }

  /** Leaves every topic and closes every connection (the Corestore stays open). */
  async close(): Promise<void> {
    this.closing ??= this.swarm.destroy()
    await this.closing
  }
}
