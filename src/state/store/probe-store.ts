// Run as a child process before a state store is opened: LMDB trusts its file, and a damaged one
// (garbage, truncation) can crash the process that maps it rather than return an error. So a
// throwaway process opens the store and walks every record first; only if it exits cleanly does
// the database open the store itself. Prints the number of records it walked.

import { open } from 'lmdb'

const [dir] = process.argv.slice(2)
const binary = { encoding: 'binary', keyEncoding: 'binary' } as const
const env = open<Buffer, Buffer>({ path: dir, maxDbs: 4, readOnly: true, ...binary })
let records = 0
for (const name of ['meta', 'values', 'acks']) {
  const db = env.openDB<Buffer, Buffer>({ name, ...binary })
  for (const { key, value } of db.getRange({})) records += key.length >= 0 && value.length >= 0 ? 1 : 0
}
await env.close()
process.stdout.write(`${records}\n`)
