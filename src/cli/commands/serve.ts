// `glassbox serve`: hold a database open, run its executor, and answer the other commands on a
// local socket until SIGINT or SIGTERM.

import { rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, parseFlags, positionals, type Command } from '../command.js'
import { IpcServer } from '../ipc/server.js'
import { readServerRecord, SERVER_FILE, socketPathFor, type ServerRecord } from '../ipc/protocol.js'
import { inlineJson } from '../output.js'
import { shutdownSignal } from '../signals.js'
import { openDatabase } from '../session.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import type { ReplicateOptions } from '../../net/replicate-database.js'

export interface ServeParameters {
  dir: string
  /** Go on the network: announce the database on the DHT and replicate with peers. */
  network?: ReplicateOptions
  /** Called once the socket accepts requests. */
  onReady?(ready: ServeReady): void
  /** Resolves when the server should stop. */
  until: Promise<unknown>
  /** Told when the executor stops on an error (the server keeps answering reads). */
  onExecutorError?(err: Error): void
}

export interface ServeReady {
  key: string
  socket: string
  pid: number
  /** Whether the database is announced on the DHT. */
  swarm: boolean
  /** Whether this process runs the executor (else it follows one over the network). */
  executor: boolean
}

export async function serve(p: ServeParameters): Promise<void> {
  const db = await openDatabase(p.dir, p.network ? { network: p.network } : {})
  db.on('error', (err: Error) => p.onExecutorError?.(err))
  let server: IpcServer | null = null
  const record: ServerRecord = { socket: '', pid: process.pid }
  try {
    record.socket = await socketPathFor(p.dir)
    server = new IpcServer(db, record.socket)
    await server.listen()
    await writeRecord(p.dir, record)
    p.onReady?.({ key: db.key, socket: record.socket, pid: process.pid, swarm: db.peers !== null, executor: (await db.info()).executor })
    await p.until
  } finally {
    await server?.close()
    const left = await readServerRecord(p.dir)
    if (left?.pid === process.pid) await rm(path.join(p.dir, SERVER_FILE), { force: true })
    await db.close()
  }
}

async function writeRecord(dir: string, record: ServerRecord): Promise<void> {
  const file = path.join(dir, SERVER_FILE)
  await writeFile(file + '.tmp', JSON.stringify(record) + '\n')
  await rename(file + '.tmp', file)
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Hold the database open, run its executor and answer other commands on a local socket',
  usage: ['serve [--swarm] [--bootstrap H:P] [--dir D] [--json]'],
  flags: [['--swarm', 'announce the database on the DHT and replicate its logs with peers (implied by --bootstrap)'], ...NETWORK_FLAGS, ...COMMON_FLAGS],
  notes: [
    `Listens on D/glassbox.sock (under the temp directory when that path is too long; D/${SERVER_FILE} names it)`,
    'and prints one line when ready. Stops cleanly on SIGINT or SIGTERM, removing the socket.',
    'A directory made by `glassbox join` always goes online (with the network it joined on) and follows the',
    "remote executor's index log; other commands on D then go through this process.",
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('serve', args, { ...COMMON_OPTIONS, ...NETWORK_OPTIONS, swarm: { type: 'boolean' } })
    positionals('serve', given, [])
    const until = shutdownSignal(io, 'closing')
    const online = values.swarm || values.bootstrap !== undefined
    await serve({
      dir: values.dir ?? DEFAULT_DIR,
      ...(online ? { network: networkFromFlags(values) } : {}),
      until,
      onExecutorError: (err) => io.err(`glassbox: the executor stopped: ${err.message}`),
      // One line either way: scripts wait for it before sending requests.
      onReady: (r) =>
        io.out(values.json ? inlineJson({ ready: true, ...r }) : `serving ${r.key} on ${r.socket} (pid ${r.pid})${r.swarm ? ', announced on the DHT' : ''}${r.executor ? '' : ', following a remote executor'}`),
    })
    return EXIT.ok
  },
}
