// The client side of the local RPC: one connection, requests matched to answers by id.

import net from 'node:net'
import { GlassboxError } from '../../errors.js'
import { LineReader, type Response } from './protocol.js'

/** Errors that mean "no server here": no socket file, or a file no process listens on. */
const NO_SERVER = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK'])

interface Pending {
  resolve(result: unknown): void
  reject(err: Error): void
}

export class IpcClient {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private gone: Error | null = null

  private constructor(
    private readonly socket: net.Socket,
    readonly socketPath: string,
  ) {
    socket.setEncoding('utf8')
    const reader = new LineReader(
      (line) => this.receive(line),
      () => this.fail(new GlassboxError('RPC_TOO_LARGE', 'the server sent a line too long to read')),
    )
    socket.on('data', (chunk: string) => reader.push(chunk))
    socket.on('error', (err) => this.fail(new GlassboxError('SERVER_GONE', `lost the connection to the glassbox server: ${err.message}`)))
    socket.on('close', () => this.fail(new GlassboxError('SERVER_GONE', 'the glassbox server closed the connection')))
  }

  /** Connects to a server, or returns null when none listens there (so the caller opens the database itself). */
  static connect(socketPath: string, timeoutMs = 5000): Promise<IpcClient | null> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new GlassboxError('SERVER_TIMEOUT', `the glassbox server at ${socketPath} does not accept connections`))
      }, timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        resolve(new IpcClient(socket, socketPath))
      })
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        if (err.code !== undefined && NO_SERVER.has(err.code)) resolve(null)
        else reject(new GlassboxError('SERVER_UNREACHABLE', `cannot reach the glassbox server at ${socketPath}: ${err.message}`))
      })
    })
  }

  request(method: string, params: unknown): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.socket.write(JSON.stringify({ id, method, params }) + '\n')
    })
  }

  close(): void {
    this.gone ??= new GlassboxError('CLIENT_CLOSED', 'the connection was closed')
    this.socket.destroy()
  }

  private receive(line: string): void {
    let res: Response
    try {
      res = JSON.parse(line) as Response
    } catch {
      this.fail(new GlassboxError('RPC_PARSE', 'the server sent a line that is not JSON'))
      return
    }
    const waiter = typeof res?.id === 'number' ? this.pending.get(res.id) : undefined
    if (!waiter) return
    this.pending.delete(res.id as number)
    if ('error' in res && res.error) {
      const { code, message } = res.error
      waiter.reject(new GlassboxError(typeof code === 'string' ? code : 'SERVER_ERROR', typeof message === 'string' ? message : 'server error'))
    } else {
      waiter.resolve((res as { result: unknown }).result)
    }
  }

  private fail(err: Error): void {
    this.gone ??= err
    for (const waiter of this.pending.values()) waiter.reject(this.gone)
    this.pending.clear()
    this.socket.destroy()
  }
}
