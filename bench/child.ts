// A bench's child process: the bench's own file run again with a flag, asked one thing at a time over
// the IPC channel. A reply `{ type: 'failed', error }` fails the ask; so does the child exiting first.

import { fork, type ChildProcess } from 'node:child_process'

interface Message {
  type: string
}

export class BenchChild<To extends Message, From extends Message> {
  private readonly proc: ChildProcess
  private readonly inbox: From[] = []
  private wake: (() => void) | null = null
  private readonly exited: Promise<number | null>

  /** Forks `script` with `flag`; `close` is the message that asks it to close, `closed` its answer. */
  constructor(
    script: string,
    flag: string,
    private readonly closing: { close: To; closed: From['type'] },
  ) {
    this.proc = fork(script, [flag], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.proc.on('message', (m: From) => {
      this.inbox.push(m)
      this.wake?.()
    })
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code) => {
        resolve(code)
        this.wake?.()
      }),
    )
  }

  send(msg: To): void {
    this.proc.send(msg)
  }

  async ask<T extends From['type']>(msg: To, reply: T): Promise<Extract<From, { type: T }>> {
    this.send(msg)
    for (;;) {
      const m = this.inbox.shift()
      if (m?.type === 'failed') throw new Error(`child ${this.proc.pid}: ${(m as Message & { error?: string }).error}`)
      if (m?.type === reply) return m as Extract<From, { type: T }>
      if (m) continue
      if (this.proc.exitCode !== null) throw new Error(`child ${this.proc.pid} exited (${this.proc.exitCode}) before answering ${msg.type}`)
      await new Promise<void>((resolve) => (this.wake = resolve))
    }
  }

  /** Asks the child to close everything and waits for it to exit on its own (kills it after 15 s). */
  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.connected) {
      await this.ask(this.closing.close, this.closing.closed).catch((err: Error) => process.stderr.write(`bench: ${err.message}\n`))
    }
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref())])
    if (code === 'timeout') {
      process.stderr.write(`bench: child ${this.proc.pid} did not exit 15 s after closing everything; killing it\n`)
      this.proc.kill('SIGKILL')
      await this.exited
    }
  }
}
