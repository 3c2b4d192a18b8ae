// `thread` mode: the guest is a worker thread. Ops and results travel as messages; a state read is
// a synchronous RPC: the worker posts the request on a port of its own and sleeps in Atomics.wait
// on a shared flag until the main thread has posted the answer and raised the flag; it then takes
// the answer off the port with receiveMessageOnPort. The main thread never blocks.

import { MessageChannel, Worker } from 'node:worker_threads'
import type { ChannelHandlers, GuestChannel } from './isolated.js'
import type { GuestMessage, HostMessage, ReadRequest } from './messages.js'

const ENTRY = new URL('./thread-entry.js', import.meta.url)

export function threadChannel(handlers: ChannelHandlers): GuestChannel {
  const flag = new Int32Array(new SharedArrayBuffer(4))
  const reads = new MessageChannel()
  const worker = new Worker(ENTRY, {
    workerData: { flag, port: reads.port2 },
    transferList: [reads.port2],
  })
  let gone = false
  const port = reads.port1
  port.on('message', (req: ReadRequest) => {
    port.postMessage(handlers.read(req))
    Atomics.store(flag, 0, 1)
    Atomics.notify(flag, 0)
  })
  worker.on('message', (msg: GuestMessage) => handlers.message(msg))
  worker.on('error', (err) => {
    gone = true
    handlers.exit(`failed: ${err.message}`)
  })
  worker.on('exit', (code) => {
    gone = true
    port.close()
    handlers.exit(`exited (code ${code})`)
  })
  worker.unref()
  port.unref()
  return {
    send: (msg: HostMessage) => worker.postMessage(msg),
    hold(on) {
      if (on) worker.ref()
      else worker.unref()
    },
    async kill() {
      if (!gone) {
        worker.ref()
        await worker.terminate()
      }
      port.close()
    },
  }
}
