// `process` mode: the guest is a child process. Every message is a frame on the child's stdin or
// stdout; a state read is the child writing a request frame and blocking on its stdin until the
// answer frame arrives. The parent answers from its event loop and never blocks.

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { encodeFrame, FrameReader } from './frames.js'
import type { ChannelHandlers, GuestChannel } from './isolated.js'
import type { GuestMessage, HostMessage, ReadRequest } from './messages.js'

const ENTRY = fileURLToPath(new URL('./process-entry.js', import.meta.url))

export function processChannel(handlers: ChannelHandlers): GuestChannel {
  const child = spawn(process.execPath, [ENTRY], { stdio: ['pipe', 'pipe', 'inherit'] })
  const stdin = child.stdin
  const stdout = child.stdout
  let gone = false
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const frames = new FrameReader()
  stdout.on('data', (chunk: Buffer) =>
    frames.push(chunk, (msg) => {
      const m = msg as GuestMessage | ReadRequest
      if (m.t === 'get' || m.t === 'list') stdin.write(encodeFrame(handlers.read(m)))
      else handlers.message(m)
    }),
  )
  // A write to a child that just died fails here; its exit is reported below.
  stdin.on('error', () => {})
  child.on('error', (err) => {
    gone = true
    handlers.exit(`failed: ${err.message}`)
  })
  child.on('exit', (code, signal) => {
    gone = true
    handlers.exit(signal ? `was killed (${signal})` : `exited (code ${code})`)
  })
  const hold = (on: boolean) => {
    for (const h of [child, stdin, stdout] as { ref(): void; unref(): void }[]) {
      if (on) h.ref()
      else h.unref()
    }
  }
  hold(false)
  return {
    send: (msg: HostMessage) => void stdin.write(encodeFrame(msg)),
    hold,
    async kill() {
      if (gone) return
      // Held, or the process could end before the child's exit is seen.
      hold(true)
      child.kill('SIGKILL')
      await exited
      hold(false)
    },
  }
}
