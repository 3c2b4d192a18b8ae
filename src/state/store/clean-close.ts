// A fingerprint of the state store's data file, written when the store closes cleanly: the bytes
// of data.mdb as this process left them. An open that finds the very same bytes knows the file is
// one LMDB wrote and closed, so it skips the probe in a child process (probeStore), which costs a
// Node.js start on every open. Anything else (a crash mid-write, a disk or a hand that changed a
// byte, a missing or unreadable fingerprint) does not match, and the store is probed as before.
// Large stores are not fingerprinted: hashing them at every close would cost more than a probe.

import { createHash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const DATA_FILE = 'data.mdb'
const FINGERPRINT_FILE = 'closed-cleanly'
/** Data files larger than this are probed at every open instead. */
const FINGERPRINT_MAX_BYTES = 64 * 1024 * 1024

/** Read in chunks of this buffer: a 20 MB file read whole costs about as much again in allocation as in hashing. */
const chunk = Buffer.allocUnsafe(1 << 20)

function digest(storeDir: string): string | null {
  let fd: number | null = null
  try {
    fd = openSync(path.join(storeDir, DATA_FILE), 'r')
    if (fstatSync(fd).size > FINGERPRINT_MAX_BYTES) return null
    const h = createHash('sha256')
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) h.update(chunk.subarray(0, n))
    return h.digest('hex')
  } catch {
    return null
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

/**
 * Records the data file's bytes once LMDB has closed it; a store that cannot be read, or is too large
 * to fingerprint, gets no record. Returns whether it got one (the next open can skip the probe).
 */
export function markClosedCleanly(storeDir: string): boolean {
  const at = path.join(storeDir, FINGERPRINT_FILE)
  const sum = digest(storeDir)
  try {
    if (sum === null) {
      rmSync(at, { force: true })
      return false
    }
    // Renamed into place, so a crash leaves the old record or the new one, never half of one.
    writeFileSync(`${at}.tmp`, `${sum}\n`)
    renameSync(`${at}.tmp`, at)
    return true
  } catch {
    // Without a record the next open probes the store: slower, never wrong.
    return false
  }
}

/** Whether the data file holds exactly the bytes a clean close recorded. */
export function closedCleanly(storeDir: string): boolean {
  let recorded: string
  try {
    recorded = readFileSync(path.join(storeDir, FINGERPRINT_FILE), 'utf8').trim()
  } catch {
    return false
  }
  return recorded.length === 64 && recorded === digest(storeDir)
}
