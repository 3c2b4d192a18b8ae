// The socket a `glassbox serve` process answers on. Every request is checked before it reaches
// the database; a malformed one gets an error answer, never a crash.

import net from 'node:net'
import { chmod, unlink } from 'node:fs/promises'
import type { Database } from '../../database.js'
import { DatabaseError } from '../../errors.js'
import { isMethodName, runMethod, type MethodContext } from '../../net/methods.js'
import { describeError } from '../output.js'
import { LineReader, type RequestId, type Response } from './protocol.js'

export class IpcServer {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly ctx: MethodContext

  constructor(
    private readonly db: Database,
    readonly socketPath: string,
  ) {
    this.ctx = { server: { pid: process.pid, socket: socketPath } }
    this.server = net.createServer((socket) => this.accept(socket))
  }

  /** Listens, replacing a socket file that a dead server left behind. */
  async listen(): Promise<void> {
    if (await answers(this.socketPath)) {
      throw new DatabaseError('SERVER_RUNNING', `another glassbox server is listening on ${this.socketPath}`)
    }
    await unlink(this.socketPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    // Only this user may talk to the executor, wherever the socket ended up.
    await chmod(this.socketPath, 0o600)
  }

  /** Stops accepting, drops open connections and removes the socket file. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    await closed
    await unlink(this.socketPath).catch(() => {})
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.setEncoding('utf8')
    socket.on('error', () => {})
    socket.on('close', () => this.sockets.delete(socket))
    const reader = new LineReader(
      (line) => this.handle(socket, line),
      () => {
        send(socket, { id: null, error: { code: 'RPC_TOO_LARGE', message: 'request line too long' } })
        socket.end()
      },
    )
    socket.on('data', (chunk: string) => reader.push(chunk))
  }

  private handle(socket: net.Socket, line: string): void {
    let req: unknown
    try {
      req = JSON.parse(line)
    } catch {
      send(socket, { id: null, error: { code: 'RPC_PARSE', message: 'request is not valid JSON' } })
      return
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      send(socket, { id: null, error: { code: 'RPC_INVALID', message: 'request must be an object {id, method, params}' } })
      return
    }
    const { id, method, params } = req as { id?: unknown; method?: unknown; params?: unknown }
    if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
      send(socket, { id: null, error: { code: 'RPC_INVALID', message: 'request id must be a string or a number' } })
      return
    }
    if (!isMethodName(method)) {
      const name = typeof method === 'string' ? `"${method}"` : String(method)
      send(socket, { id, error: { code: 'RPC_METHOD', message: `unknown method ${name}` } })
      return
    }
    runMethod(this.db, method, params, this.ctx).then(
      (result) => send(socket, { id, result }),
      (err: unknown) => send(socket, { id: id as RequestId, error: describeError(err) }),
    )
  }
}

function send(socket: net.Socket, response: Response): void {
  if (socket.destroyed || !socket.writable) return
  socket.write(JSON.stringify(response) + '\n')
}

/** Whether a server answers on this socket path (a dead server's file refuses connections). */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
