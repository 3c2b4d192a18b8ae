// A private DHT: a few bootstrap nodes in one process, for networks that should not use the public
// DHT (a LAN, a test, a walkthrough on one machine). Peers reach it with `--bootstrap HOST:PORT`.

import type { DHTNodeAddress } from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'

export interface BootstrapNodes {
  /** The address peers pass as `--bootstrap` (the first node; it knows the others). */
  bootstrap: DHTNodeAddress[]
  close(): Promise<void>
}

/** Starts `size` DHT nodes on `host` (loopback by default), the first on `port` (0: any free port). */
export async function startBootstrapNodes(opts: { host?: string; port?: number; size?: number } = {}): Promise<BootstrapNodes> {
  const testnet = await createTestnet(opts.size ?? 3, { host: opts.host ?? '127.0.0.1', ...(opts.port ? { port: opts.port } : {}) })
  return { bootstrap: testnet.bootstrap, close: () => testnet.destroy() }
}
