// The flags of commands that go on the network (serve --swarm, join, verify/monitor DBKEY, dht).

import { networkOptions, BOOTSTRAP_ENV } from '../net/network-options.js'
import type { ReplicateOptions } from '../net/replicate-database.js'
import { intFlag, type OptionSpecs } from './command.js'

export const NETWORK_OPTIONS = {
  bootstrap: { type: 'string' },
  host: { type: 'string' },
  'peer-timeout': { type: 'string' },
} as const satisfies OptionSpecs

export const NETWORK_FLAGS: [string, string][] = [
  ['--bootstrap H:P[,H:P]', `DHT bootstrap nodes (default: $${BOOTSTRAP_ENV}, else the public DHT); see \`glassbox dht\``],
  ['--host ADDR', 'the address to bind and announce (default 127.0.0.1 when every bootstrap node is on loopback)'],
  ['--peer-timeout S', 'seconds to wait for a peer serving the database (default 30)'],
]

export function networkFromFlags(values: { bootstrap?: string; host?: string; 'peer-timeout'?: string }): ReplicateOptions {
  const seconds = intFlag('peer-timeout', values['peer-timeout'])
  return {
    ...networkOptions({ ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}), ...(values.host ? { host: values.host } : {}) }),
    ...(seconds !== undefined ? { timeoutMs: seconds * 1000 } : {}),
  }
}
