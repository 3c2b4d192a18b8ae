// How a command reaches a database: through the `glassbox serve` process that holds it when one
// answers on its socket, else by opening the directory itself for the length of the command.
// The storage is single-process (it locks the directory), which is why a served database must be
// reached through its server.

import type { Database, LoadOptions } from '../database.js'
import { DatabaseError, GlassboxError } from '../errors.js'
import { readNetworkFile } from '../net/network-file.js'
import { IpcClient } from './ipc/client.js'
import { readServerRecord, socketPathFor } from './ipc/protocol.js'
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
  if (record) found.push(record.socket)
  try {
    const fallback = await socketPathFor(dir)
    if (!found.includes(fallback)) found.push(fallback)
  } catch {
    // No such directory: Database.load says so in its own words.
  }
  return found
}

/** Database.load, with the storage's lock failure said in Glassbox's words. */
export async function openDatabase(dir: string, opts: LoadOptions = {}): Promise<Database> {
  // Loaded here rather than at startup: help, usage errors and server clients never need it.
  const { Database } = await import('../database.js')
  // A joined directory has no executor of its own: it reaches it over the network it joined on.
  const joined = opts.network ? null : await readNetworkFile(dir)
  try {
    return await Database.load(dir, joined ? { ...opts, network: joined } : opts)
  } catch (err) {
    if (!(err instanceof GlassboxError) && isLockError(err)) {
      throw new DatabaseError(
        'DATABASE_LOCKED',
        `${dir} is held by another process that does not answer on its socket (a \`glassbox serve\` still starting, or another program using the database)`,
        { cause: err },
      )
    }
    throw err
  }
}

function isLockError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException
  return e?.code === 'ELOCKED' || e?.code === 'EAGAIN' || /\block/i.test(e?.message ?? '')
}
