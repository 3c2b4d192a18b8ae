// `glassbox dht`: run a private DHT (bootstrap nodes) for peers that should not use the public one.

import { startBootstrapNodes } from '../../net/dht-bootstrap.js'
import { EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'
import { inlineJson } from '../output.js'
import { shutdownSignal } from '../signals.js'

export const dhtCommand: Command = {
  name: 'dht',
  summary: 'Run a private DHT for a local network: peers pass its address as --bootstrap',
  usage: ['dht [--port P] [--host ADDR] [--nodes N] [--json]'],
  flags: [
    ['--port P', 'the UDP port of the first node, the one peers name (default: any free port)'],
    ['--host ADDR', 'the address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for a LAN)'],
    ['--nodes N', 'DHT nodes to run (default 3)'],
    ['--json', 'print the ready line as JSON'],
    ['-h, --help', 'show this help'],
  ],
  notes: ['Prints one line when ready, then runs until SIGINT or SIGTERM.'],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('dht', args, {
      port: { type: 'string' },
      host: { type: 'string' },
      nodes: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    })
    positionals('dht', given, [])
    const until = shutdownSignal(io, 'stopping the DHT')
    const port = intFlag('port', values.port)
    const size = intFlag('nodes', values.nodes)
    const nodes = await startBootstrapNodes({ host: values.host ?? '127.0.0.1', ...(port ? { port } : {}), ...(size ? { size: Math.max(1, size) } : {}) })
    const bootstrap = nodes.bootstrap.map((n) => `${n.host}:${n.port}`).join(',')
    io.out(values.json ? inlineJson({ ready: true, bootstrap }) : `dht ready: --bootstrap ${bootstrap}`)
    await until
    await nodes.close()
    return EXIT.ok
  },
}
