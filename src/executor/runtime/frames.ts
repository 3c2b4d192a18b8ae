// Length-prefixed v8-serialized frames: how `process` mode talks over the child's stdin and stdout.

import { readSync, writeSync } from 'node:fs'
import { deserialize, serialize } from 'node:v8'

export function encodeFrame(msg: unknown): Buffer {
  const body = serialize(msg)
  const head = Buffer.alloc(4)
  head.writeUInt32BE(body.length, 0)
  return Buffer.concat([head, body])
}

/** Collects frames from a byte stream that arrives in arbitrary chunks. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0)

  push(chunk: Buffer, onFrame: (msg: unknown) => void): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    while (this.buffered.length >= 4) {
      const size = this.buffered.readUInt32BE(0)
      if (this.buffered.length < 4 + size) break
      const body = this.buffered.subarray(4, 4 + size)
      this.buffered = this.buffered.subarray(4 + size)
      onFrame(deserialize(body))
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4))

/** Blocks until `buf` is full; false at end of stream before its first byte. */
function readFully(fd: number, buf: Buffer): boolean {
  let got = 0
  while (got < buf.length) {
    let n: number
    try {
      n = readSync(fd, buf, got, buf.length - got, null)
    } catch (err) {
      // A pipe left non-blocking: wait a moment and read again.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      Atomics.wait(pause, 0, 0, 1)
      continue
    }
    if (n === 0) {
      if (got === 0) return false
      throw new Error('the stream ended inside a frame')
    }
    got += n
  }
  return true
}

/** The next frame from `fd`, blocking; null at end of stream. */
export function readFrameSync(fd: number): unknown {
  const head = Buffer.alloc(4)
  if (!readFully(fd, head)) return null
  const body = Buffer.alloc(head.readUInt32BE(0))
  if (body.length > 0 && !readFully(fd, body)) throw new Error('the stream ended inside a frame')
  return deserialize(body)
}

export function writeFrameSync(fd: number, msg: unknown): void {
  const frame = encodeFrame(msg)
  let sent = 0
  while (sent < frame.length) {
    try {
      sent += writeSync(fd, frame, sent, frame.length - sent)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}
