// The child process of `process` mode (see process-channel.ts): frames in on stdin, out on stdout.

import { Guest } from './guest.js'
import { readFrameSync, writeFrameSync } from './frames.js'
import type { HostMessage, ReadReply } from './messages.js'

const IN = 0
const OUT = 1

const guest = new Guest({
  request(req) {
    writeFrameSync(OUT, req)
    const reply = readFrameSync(IN)
    if (reply === null) process.exit(0)
    return reply as ReadReply
  },
})

// Blocking reads between messages are fine: the child has nothing else to do, and awaiting each
// message's handling lets VM loading (asynchronous) finish before the next frame is read.
for (;;) {
  const msg = readFrameSync(IN) as HostMessage | null
  if (msg === null) break
  const reply = await guest.handle(msg)
  if (reply !== null) writeFrameSync(OUT, reply)
}
process.exit(0)
