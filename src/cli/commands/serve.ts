// `glassbox serve`: hold a database open, run its executor, and answer the other commands on a
// local socket until SIGINT or SIGTERM.

import { rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { COMMON_FLAGS, COMMON_OPTIONS, DEFAULT_DIR, EXIT, intFlag, parseFlags, positionals, type Command } from '../command.js'

/** The environment variable that holds the HTTP API's bearer token when no --token-file names one. */
export const TOKEN_ENV = 'GLASSBOX_HTTP_TOKEN'
import { IpcServer } from '../ipc/server.js'
import { readServerRecord, SERVER_FILE, socketPathFor, type ServerRecord } from '../ipc/protocol.js'
import { inlineJson } from '../output.js'
import { shutdownSignal } from '../signals.js'
import { openDatabase } from '../session.js'
import type { Database } from '../../database.js'
import { NETWORK_FLAGS, NETWORK_OPTIONS, networkFromFlags } from '../network-flags.js'
import type { ReplicateOptions } from '../../net/replicate-database.js'
import { readServeNetwork, writeNetworkFile } from '../../net/network-file.js'
import type { HttpApi } from '../../net/http/server.js'
import { UsageError } from '../../errors.js'
import { readFile } from 'node:fs/promises'
import { DEFAULT_OP_CEILING_MS, runtimeMode, type RuntimeMode } from '../../executor/runtime/runtime.js'
import { readExecutorKeyFile, type ExecutorKeys } from '../../failover/takeover.js'

/** How long a standby waits without a word from the executor before it takes over, by default. */
export const DEFAULT_TAKEOVER_MS = 10_000

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
  /** Where contract code runs (default 'thread': the socket, HTTP and signals answer during any op). */
  runtime?: RuntimeMode
  /** Wall-clock ceiling of one op in 'thread' or 'process' mode: past it the executor stops with an alert. */
  opCeilingMs?: number
  /** Overrides the manifest's checkpoint schedule for this run (0: none). */
  checkpointEvery?: number
  /** The executor forwards every block to this standby (its swarm key, hex) first; null forgets the one kept (docs/protocol.md §18). */
  standbyPeer?: string | null
  /**
   * Serve a replica as the executor's standby: hold what the executor forwards, and take over with
   * `secretKey` (the executor's key pair) once it has said nothing for `takeoverAfterMs`.
   */
  standby?: { keys: ExecutorKeys; takeoverAfterMs: number; onStandingBy?(s: StandingBy): void; onTakeover?(t: { length: number }): void }
  /** Told what the executor's standby link does: connected, disconnected, refused (with a reason). */
  onStandbyEvent?(e: { event: string; detail?: unknown }): void
  /** Also serve the HTTP API (docs/http.md), with a monitor following the database in-process. */
  http?: { port: number; host: string; token: string | null; onError?(err: Error): void; claim?: boolean }
}

export interface ServeReady {
  key: string
  socket: string
  pid: number
  /** Whether the database is announced on the DHT. */
  swarm: boolean
  /** Whether this process runs the executor (else it follows one over the network). */
  executor: boolean
  /** The HTTP API's base URL, when it is served. */
  http?: string
  /** Where the executor runs contract code (absent when this process follows a remote executor). */
  runtime?: RuntimeMode
  /** Present (true) when the directory is a copy, served read-only: no executor runs on a copy. */
  readOnly?: true
  /** This peer's swarm key (hex) when online: the key `--standby-peer` names. */
  swarmKey?: string
}

export interface StandingBy {
  key: string
  swarmKey: string
  takeoverAfterMs: number
}

/**
 * A standby's first phase: a replica that holds the blocks the executor forwards. Resolves true once
 * it took over (the directory now holds the executor's key pair), false when asked to stop first.
 */
async function standBy(p: ServeParameters, network: ReplicateOptions): Promise<boolean> {
  const standby = p.standby!
  // A confidential database's standby reads it as the executor does, with its key.
  const db = await openDatabase(p.dir, { network: { ...network, announce: true }, readerKey: standby.keys.index.secretKey })
  let tookOver = false
  let socket: Socket | null = null
  try {
    // Other commands on the directory (info, get, history) reach the replica through this process.
    socket = await listenOnSocket(p.dir, db)
    const role = await db.standBy(standby.keys, { takeoverAfterMs: standby.takeoverAfterMs })
    standby.onStandingBy?.({ key: db.key, swarmKey: db.swarmKey!, takeoverAfterMs: standby.takeoverAfterMs })
    // Silent long enough, and named by the contract if it names the standby (docs/protocol.md §18.4):
    // a standby not named waits on, and looks again as its log or the blocks it holds grow.
    for (;;) {
      const next = new Promise((resolve) => (role.silent ? resolve('silent') : role.once('silent', () => resolve('silent'))))
      if ((await Promise.race([next, p.until.then(() => 'stop')])) !== 'silent') return false
      const { eligible, named } = await db.takeoverNamed()
      // The executor spoke again while this was asked: wait for its next silence.
      if (eligible && role.silent) break
      if (eligible) continue
      p.onStandbyEvent?.({ event: 'not-named', detail: named ?? null })
      let grew = () => {}
      const moved = new Promise<string>((resolve) => {
        grew = () => resolve('moved')
        db.on('synced', grew)
        role.on('held', grew)
      })
      const what = await Promise.race([moved, p.until.then(() => 'stop')])
      db.off('synced', grew)
      role.off('held', grew)
      if (what === 'stop') return false
    }
    // It closes the replica: the executor opens on the same directory next.
    tookOver = true
    await db.takeOver(standby.keys)
    return true
  } finally {
    await socket?.close()
    if (!tookOver) await db.close()
  }
}

export async function serve(p: ServeParameters): Promise<void> {
  // A server announces, whether asked to go online or going back on the network it was served or joined on.
  const network = p.network ?? (await readServeNetwork(p.dir))
  const executor = { runtime: p.runtime ?? 'thread', ...(p.opCeilingMs !== undefined ? { opCeilingMs: p.opCeilingMs } : {}) }
  const every = p.checkpointEvery === undefined ? {} : { checkpointEvery: p.checkpointEvery }
  if (p.standby) {
    if (!network) throw new UsageError('USAGE', `${p.dir}: a standby is a replica on the network (join the database first)`)
    if (!(await standBy(p, network))) return
  }
  const standbyPeer = p.standbyPeer === undefined ? {} : { standby: p.standbyPeer }
  const db = await openDatabase(p.dir, network ? { network: { ...network, announce: true }, executor, ...every, ...standbyPeer } : { executor, ...every, ...standbyPeer })
  if (p.standby) p.standby.onTakeover?.({ length: db.length })
  db.on('standby', (e: { event: string; detail?: unknown }) => p.onStandbyEvent?.(e))
  if (p.network) {
    try {
      await writeNetworkFile(p.dir, p.network, { executor: db.runtime !== null })
    } catch (err) {
      await db.close()
      throw err
    }
  }
  db.on('error', (err: Error) => p.onExecutorError?.(err))
  let socket: Socket | null = null
  let api: HttpApi | null = null
  try {
    socket = await listenOnSocket(p.dir, db)
    if (p.http) {
      const { startHttpApi } = await import('../../net/http/server.js')
      const monitor = await db.monitor({ fraudProof: true })
      // A claiming monitor signs what it verifies into D's claims log and serves it at /v1/claims.
      const claimer = p.http.claim ? await db.claimer(monitor) : null
      if (claimer && p.http.onError) claimer.on('error', p.http.onError)
      api = await startHttpApi({ db, monitor, claims: claimer?.log ?? null, port: p.http.port, host: p.http.host, token: p.http.token, ...(p.http.onError ? { onError: p.http.onError } : {}) })
    }
    const runtime = db.runtime
    p.onReady?.({ key: db.key, socket: socket.path, pid: process.pid, swarm: db.peers !== null, executor: runtime !== null, ...(api ? { http: api.url } : {}), ...(runtime ? { runtime } : {}), ...(db.readOnly ? { readOnly: true as const } : {}), ...(db.swarmKey ? { swarmKey: db.swarmKey } : {}) })
    await p.until
  } finally {
    // The API first: requests still waiting get their answer before the database closes.
    await api?.close()
    await socket?.close()
    await db.close()
  }
}

interface Socket {
  path: string
  /** Stops answering and removes the directory's record of this server (if it is still this one's). */
  close(): Promise<void>
}

/** Answers the other commands on the directory's socket, and records where (D/server.json). */
async function listenOnSocket(dir: string, db: Database): Promise<Socket> {
  const record: ServerRecord = { socket: await socketPathFor(dir), pid: process.pid }
  const server = new IpcServer(db, record.socket)
  await server.listen()
  const file = path.join(dir, SERVER_FILE)
  try {
    await writeFile(file + '.tmp', JSON.stringify(record) + '\n')
    await rename(file + '.tmp', file)
  } catch (err) {
    await server.close()
    throw err
  }
  return {
    path: record.socket,
    close: async () => {
      await server.close()
      const left = await readServerRecord(dir)
      if (left?.pid === process.pid) await rm(file, { force: true })
    },
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Hold the database open, run its executor and answer other commands on a local socket',
  usage: [
    'serve [--swarm] [--bootstrap H:P] [--http PORT [--http-host ADDR] [--token-file FILE] [--claim]] [--runtime MODE] [--op-ceiling-ms MS] [--checkpoint-every K] [--standby-peer KEY] [--dir D] [--json]',
    'serve --standby KEY-FILE [--takeover-after MS] [--dir D] [--json]',
  ],
  flags: [
    ['--swarm', 'announce the database on the DHT and replicate its logs with peers (implied by --bootstrap)'],
    ...NETWORK_FLAGS,
    ['--http PORT', 'also serve the HTTP API on PORT (0: any free port); see docs/http.md'],
    ['--http-host ADDR', 'the address the HTTP API listens on (default 127.0.0.1)'],
    ['--claim', "with --http: the server's monitor signs a claim about each checkpoint it verified, served at /v1/claims (docs/protocol.md §11)"],
    ['--token-file FILE', `the bearer token for calls that write (default: $${TOKEN_ENV}; without either, HTTP writes are disabled)`],
    ['--runtime MODE', 'where contract code runs: thread (default; a worker thread), process (a child process) or local (this thread)'],
    ['--op-ceiling-ms MS', `stop the executor with an alert when one op runs longer than MS in thread or process mode (default ${DEFAULT_OP_CEILING_MS})`],
    ['--checkpoint-every K', "keep a state checkpoint every K entries in this run, overriding the one `init --checkpoint-every` set (0: none)"],
    ['--standby-peer KEY', "the executor appends each block only once the standby with swarm key KEY holds it; kept for later runs (`none` forgets it)"],
    ['--standby KEY-FILE', "serve a joined directory as the executor's standby, holding the executor's key pair (`glassbox key FILE --executor`)"],
    ['--takeover-after MS', `with --standby: take over once the executor has said nothing for MS (default ${DEFAULT_TAKEOVER_MS})`],
    ...COMMON_FLAGS,
  ],
  notes: [
    `Listens on D/glassbox.sock (under the temp directory when that path is too long; D/${SERVER_FILE} names it)`,
    'and prints one line when ready. Stops cleanly on SIGINT or SIGTERM, removing the socket.',
    'A directory made by `glassbox join` always goes online (with the network it joined on) and follows the',
    "remote executor's index log; other commands on D then go through this process. The executor's directory",
    'remembers the network it was last served on (D/network.json): `serve` without flags goes back on it, while',
    'its other commands stay on local disk; delete D/network.json to serve it offline again.',
    'In thread and process mode ops run off the main thread, so the socket, HTTP API and signals answer during',
    'any op. The op ceiling is an alarm, never part of an outcome: the op past it is not recorded, the executor',
    'stops with that error (requests that wait for it get the error), and the next start runs the op again.',
    'Local mode has no ceiling.',
    'Failover (docs/protocol.md §18): the executor serves with --standby-peer and the standby with --standby. The',
    'executor then waits for its standby before every append, so no op it acks can be lost with it; once the',
    'standby takes over it answers the old executor "fenced", and the old one stops before it writes.',
    'A contract that exports standby() names the standby itself (§18.4): the executor then takes no',
    '--standby-peer, and a standby it does not name stays standing by when the executor falls silent.',
  ],
  async run(args, io) {
    const { values, positionals: given } = parseFlags('serve', args, {
      ...COMMON_OPTIONS,
      ...NETWORK_OPTIONS,
      swarm: { type: 'boolean' },
      http: { type: 'string' },
      'http-host': { type: 'string' },
      'token-file': { type: 'string' },
      claim: { type: 'boolean' },
      runtime: { type: 'string' },
      'op-ceiling-ms': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'standby-peer': { type: 'string' },
      standby: { type: 'string' },
      'takeover-after': { type: 'string' },
    })
    positionals('serve', given, [])
    const httpPort = intFlag('http', values.http)
    if (httpPort !== undefined && httpPort > 65535) throw new UsageError('USAGE', `--http ${httpPort} is not a port`)
    if (httpPort === undefined && (values['http-host'] || values['token-file'] || values.claim)) throw new UsageError('USAGE', '--http-host, --token-file and --claim need --http PORT')
    const token = values['token-file'] ? (await readFile(values['token-file'], 'utf8')).trim() : (process.env[TOKEN_ENV] ?? null)
    if (token !== null && token.length < 16) throw new UsageError('USAGE', 'the HTTP token must be at least 16 characters')
    const runtime = values.runtime === undefined ? 'thread' : runtimeMode(values.runtime)
    const opCeilingMs = intFlag('op-ceiling-ms', values['op-ceiling-ms'])
    const checkpointEvery = intFlag('checkpoint-every', values['checkpoint-every'])
    if (opCeilingMs === 0) throw new UsageError('USAGE', '--op-ceiling-ms must be at least 1')
    const standbyPeer = values['standby-peer']
    if (standbyPeer !== undefined && standbyPeer !== 'none' && !/^[0-9a-f]{64}$/.test(standbyPeer)) throw new UsageError('USAGE', '--standby-peer takes a swarm key (64 hex digits, printed by the standby) or `none`')
    const takeoverAfterMs = intFlag('takeover-after', values['takeover-after'])
    if (takeoverAfterMs !== undefined && !values.standby) throw new UsageError('USAGE', '--takeover-after needs --standby KEY-FILE')
    if (values.standby && standbyPeer !== undefined) throw new UsageError('USAGE', '--standby and --standby-peer name the two ends of one link: give each to its own server')
    const standbyKey = values.standby ? await readExecutorKeyFile(values.standby) : null
    if (values.standby && !standbyKey) throw new UsageError('USAGE', `${values.standby}: no such key file (make it with \`glassbox key ${values.standby} --executor\` in the executor's directory)`)
    const json = values.json ?? false
    const until = shutdownSignal(io, 'closing')
    const online = values.swarm || values.bootstrap !== undefined
    await serve({
      dir: values.dir ?? DEFAULT_DIR,
      ...(online ? { network: networkFromFlags(values) } : {}),
      ...(httpPort !== undefined
        ? { http: { port: httpPort, host: values['http-host'] ?? '127.0.0.1', token, claim: values.claim ?? false, onError: (err: Error) => io.err(`glassbox: http: ${err.message}`) } }
        : {}),
      until,
      runtime,
      ...(opCeilingMs !== undefined ? { opCeilingMs } : {}),
      ...(checkpointEvery !== undefined ? { checkpointEvery } : {}),
      onExecutorError: (err) => io.err(`glassbox: the executor stopped: ${err.message}`),
      ...(standbyPeer !== undefined ? { standbyPeer: standbyPeer === 'none' ? null : standbyPeer } : {}),
      ...(standbyKey
        ? {
            standby: {
              keys: standbyKey,
              takeoverAfterMs: takeoverAfterMs ?? DEFAULT_TAKEOVER_MS,
              onStandingBy: (r: StandingBy) => io.out(json ? inlineJson({ standby: true, ...r }) : `standing by for ${r.key} as ${r.swarmKey} (takes over after ${r.takeoverAfterMs} ms without a word from the executor)`),
              onTakeover: (t: { length: number }) => io.out(json ? inlineJson({ tookOver: true, ...t }) : `took over at length ${t.length}: this directory runs the executor now`),
            },
          }
        : {}),
      onStandbyEvent: (e) => io.err(`glassbox: standby ${e.event}${e.detail === undefined ? '' : `: ${e.detail instanceof Error ? e.detail.message : String(e.detail)}`}`),
      // One line either way: scripts wait for it before sending requests.
      onReady: (r) =>
        io.out(values.json ? inlineJson({ ready: true, ...r }) : `serving ${r.key} on ${r.socket} (pid ${r.pid}${r.runtime ? `, ${r.runtime} runtime` : ''})${r.swarm ? ', announced on the DHT' : ''}${r.executor ? '' : r.readOnly ? ', read-only (a copy: no executor runs here)' : ', following a remote executor'}${r.http ? `, HTTP API at ${r.http}` : ''}`),
    })
    return EXIT.ok
  },
}
