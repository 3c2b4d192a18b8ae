// The worker thread of `thread` mode (see thread-channel.ts).

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { Guest } from './guest.js'
import type { HostMessage, ReadReply, ReadRequest } from './messages.js'

const { flag, port } = workerData as { flag: Int32Array; port: MessagePort }
const host = parentPort
if (host === null) throw new Error('thread-entry runs only as a worker thread')

const guest = new Guest({
  request(req: ReadRequest): ReadReply {
    Atomics.store(flag, 0, 0)
    port.postMessage(req)
    Atomics.wait(flag, 0, 0)
    const got = receiveMessageOnPort(port)
    if (got === undefined) throw new Error('the host raised the read flag without an answer')
    return got.message as ReadReply
  },
})

// Handled strictly in order: a load must finish before the op that uses it.
let queue: Promise<void> = Promise.resolve()
host.on('message', (msg: HostMessage) => {
  queue = queue.then(async () => {
    const reply = await guest.handle(msg)
    if (reply !== null) host.postMessage(reply)
  })
})
