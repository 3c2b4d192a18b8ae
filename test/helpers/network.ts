// Helpers for tests over the network: a local DHT testnet, and waiting for something peers will
// eventually make true.

import { after, before } from 'node:test'
import { startBootstrapNodes, type BootstrapNodes } from '../../src/net/dht-bootstrap.js'

/**
 * A local DHT testnet for the tests of one file (never the public one): started before them and
 * closed after. `bootstrap` is its nodes, `flag()` the same as a `--bootstrap host:port,…` value.
 */
export function localDht(): { readonly bootstrap: BootstrapNodes['bootstrap']; flag(): string } {
  let dht: BootstrapNodes | null = null
  before(async () => {
    dht = await startBootstrapNodes()
  })
  after(async () => {
    await dht?.close()
  })
  const started = (): BootstrapNodes => {
    if (!dht) throw new Error('the local DHT starts before the tests: use it inside one')
    return dht
  }
  return {
    get bootstrap() {
      return started().bootstrap
    },
    flag: () => started().bootstrap.map((n) => `${n.host}:${n.port}`).join(','),
  }
}

/** Polls `check` until it holds; fails with `what` after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
