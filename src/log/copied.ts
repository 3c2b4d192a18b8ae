// Copies of a database directory. Hypercore's storage keeps a device file (cores/CORESTORE) that
// records the inode it was written to and an extended attribute; `cp -r`, `tar` and `rsync` (and
// `cp -a`, which keeps the attribute but not the inode) give a copy it refuses to open for writing.
// That refusal is right for the executor — two executors appending to copies of one log sign two
// different entries at the same length, a fork that monitors report as a breach — but reading a
// copy is safe: it is opened read-only (no lock, no device-file check, nothing written to its logs).

import { DatabaseError } from '../errors.js'

/** Whether `err` is Hypercore's refusal to open a store copied from another place. */
export function isCopiedStoreError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  return e?.code === 'DEVICE_FILE' && typeof e.message === 'string' && /moved unsafely|was modified|different platform/.test(e.message)
}

/** What to do instead, said once for every refusal. */
export const COPY_ADVICE =
  'run the executor and calls only on the original directory; to move a database, stop its `glassbox serve` and move the directory with `mv` on one filesystem; to restore a backup, see "Backups" in the README'

/** The error for doing on a copy what only the original may do (`what`: "run the executor", ...). */
export function copiedDirectoryError(dir: string, what: string): DatabaseError {
  return new DatabaseError(
    'DATABASE_COPY',
    `${dir} is a copy of a database directory (made by cp, tar or rsync), opened read-only: a copy must not ${what}, because two executors appending to copies of one log fork it, which monitors report as a breach; ${COPY_ADVICE}`,
  )
}
