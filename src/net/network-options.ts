// Where a peer looks for other peers: the DHT bootstrap nodes, and the address it binds.

import type { DHTNodeAddress } from 'hyperdht'
import { UsageError } from '../errors.js'

export interface NetworkOptions {
  /** DHT bootstrap nodes; when absent, the public Hyperswarm DHT. */
  bootstrap?: DHTNodeAddress[]
  /**
   * The address to bind and announce. Defaults to 127.0.0.1 when every bootstrap node is on
   * loopback: a private network on one machine never announces (or dials) any other address.
   */
  host?: string
}

/** The environment variable that names bootstrap nodes when no `--bootstrap` flag does. */
export const BOOTSTRAP_ENV = 'GLASSBOX_BOOTSTRAP'

/** Parses `host:port[,host:port...]`. */
export function parseBootstrap(text: string): DHTNodeAddress[] {
  const nodes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (nodes.length === 0) throw new UsageError('USAGE', 'the bootstrap list is empty (expected host:port[,host:port...])')
  return nodes.map((node) => {
    const at = node.lastIndexOf(':')
    const host = node.slice(0, at).replace(/^\[(.*)\]$/, '$1')
    const port = Number(node.slice(at + 1))
    if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UsageError('USAGE', `bootstrap node "${node}" is not host:port`)
    }
    return { host, port }
  })
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The bind address that follows from the options (see NetworkOptions.host). */
export function bindHost(opts: NetworkOptions): string | undefined {
  if (opts.host) return opts.host
  const local = opts.bootstrap && opts.bootstrap.length > 0 && opts.bootstrap.every((n) => isLoopback(n.host))
  return local ? '127.0.0.1' : undefined
}

/** Network options from a `--bootstrap` value, else from GLASSBOX_BOOTSTRAP, else the public DHT. */
export function networkOptions(flags: { bootstrap?: string; host?: string }, env: NodeJS.ProcessEnv = process.env): NetworkOptions {
  const list = flags.bootstrap ?? env[BOOTSTRAP_ENV]
  return {
    ...(list ? { bootstrap: parseBootstrap(list) } : {}),
    ...(flags.host ? { host: flags.host } : {}),
  }
}

/** How long a reader waits for a peer to serve what it needs, unless told otherwise (30 s). */
export const DEFAULT_PEER_TIMEOUT_MS = 30_000
