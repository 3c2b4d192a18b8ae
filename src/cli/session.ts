// How a command reaches a database: through the `glassbox serve` process that holds it when one
// answers on its socket, else by opening the directory itself for the length of the command.
// The storage is single-process (it locks the directory), which is why a served database must be
// reached through its server.

import type { Database, LoadOptions } from '../database.js'
import { DatabaseError, GlassboxError } from '../errors.js'
import { copiedDirectoryError, isCopiedStoreError } from '../log/copied.js'
import { readNetworkFile } from '../net/network-file.js'
import { IpcClient } from './ipc/client.js'
import { readServerRecord, socketBelongsTo, socketPathFor } from './ipc/protocol.js'
import { runMethod, type MethodMap, type MethodName } from '../net/methods.js'

export interface Session {
  /** 'server' when a `glassbox serve` process answered, 'direct' when this process opened the database. */
  readonly via: 'server' | 'direct'
  request<M extends MethodName>(method: M, params: MethodMap[M]['params']): Promise<MethodMap[M]['result']>
  close(): Promise<void>
}

/** Opens a session on the database in `dir`, runs `fn`, and closes the session whatever happens. */
export async function withSession<T>(dir: string, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(dir)
  try {
    return await fn(session)
  } finally {
    await session.close()
  }
}

/** A session through the `glassbox serve` process of `dir`, or null when none answers. */
export async function serverSession(dir: string): Promise<Session | null> {
  for (const socketPath of await candidateSockets(dir)) {
    const client = await IpcClient.connect(socketPath)
    if (client) return remoteSession(client)
  }
  return null
}

export async function openSession(dir: string): Promise<Session> {
  const remote = await serverSession(dir)
  if (remote) return remote
  const db = await openDatabase(dir)
  try {
    // Ops published while no executor ran (e.g. by `call --no-wait`) are processed before reading.
    await db.settled()
  } catch (err) {
    await db.close()
    throw err
  }
  return {
    via: 'direct',
    request: (method, params) => runMethod(db, method, params, { server: null }),
    close: () => db.close(),
  }
}

function remoteSession(client: IpcClient): Session {
  return {
    via: 'server',
    request: async <M extends MethodName>(method: M, params: MethodMap[M]['params']) =>
      (await client.request(method, params)) as MethodMap[M]['result'],
    close: async () => client.close(),
  }
}

/** Where a server for `dir` may listen: the socket its record names, then the default place. */
async function candidateSockets(dir: string): Promise<string[]> {
  const found: string[] = []
  const record = await readServerRecord(dir)
  // A record copied along with the directory (cp -r of a served database) names the original's
  // socket: a command on the copy must not be answered by the original's server.
  if (record && (await socketBelongsTo(dir, record.socket))) found.push(record.socket)
  try {
    const fallback = await socketPathFor(dir)
    if (!found.includes(fallback)) found.push(fallback)
  } catch {
    // No such directory: Database.load says so in its own words.
  }
  return found
}

/**
 * Database.load, with the storage's lock failure said in Glassbox's words. A copy of a database
 * directory (log/copied.ts) is opened read-only: it answers reads, and refuses in its own words
 * whatever would append to its logs (the executor, calls that publish ops, the network).
 */
export async function openDatabase(dir: string, opts: LoadOptions = {}): Promise<Database> {
  // Loaded here rather than at startup: help, usage errors and server clients never need it.
  const { Database } = await import('../database.js')
  // A joined directory has no executor of its own: it reaches it over the network it joined on.
  const joined = opts.network ? null : await readNetworkFile(dir)
  try {
    return await Database.load(dir, joined ? { ...opts, network: joined } : opts)
  } catch (err) {
    if (isCopiedStoreError(err)) {
      // Going online is asked for (serve, join); a joined copy merely read stays offline.
      if (opts.network) throw copiedDirectoryError(dir, 'go on the network (replicating would append to its logs)')
      const { network: _none, ...rest } = opts
      return await Database.load(dir, { ...rest, readOnly: true })
    }
    if (!(err instanceof GlassboxError) && isLockError(err)) {
      const holder = await answeringServer(dir)
      if (holder) {
        throw new DatabaseError(
          'DATABASE_SERVED',
          `${dir} is already served by \`glassbox serve\` (${holder.pid === null ? '' : `pid ${holder.pid}, `}socket ${holder.socket}): other commands with --dir ${dir} reach the database through it; stop that process (SIGINT or SIGTERM) before serving the directory again`,
          { cause: err },
        )
      }
      throw new DatabaseError(
        'DATABASE_LOCKED',
        `${dir} is held by another process that does not answer on its socket (a \`glassbox serve\` still starting, or another program using the database)`,
        { cause: err },
      )
    }
    throw err
  }
}

/** The `glassbox serve` process that answers for `dir` now (its pid from its record), or null. */
async function answeringServer(dir: string): Promise<{ pid: number | null; socket: string } | null> {
  const record = await readServerRecord(dir)
  for (const socketPath of await candidateSockets(dir)) {
    const client = await IpcClient.connect(socketPath).catch(() => null)
    if (!client) continue
    client.close()
    return { pid: record?.socket === socketPath ? record.pid : null, socket: socketPath }
  }
  return null
}

function isLockError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException
  return e?.code === 'ELOCKED' || e?.code === 'EAGAIN' || /\block/i.test(e?.message ?? '')
}
