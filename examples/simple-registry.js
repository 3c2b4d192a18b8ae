// Simple public-key registry (seed 001 §5.1): a mapping of usernames to public keys.
//
// The registry service authenticates its users off-contract and writes their keys through its own
// oplog, so any participant may `put`. What the contract adds is transparency: every key change is
// an entry in the index log, acknowledged with the oplog it came from, so participants and monitors
// can watch for changes nobody asked for. An oplog that is not an input cannot change anything.

import assert from 'assert'
import { index } from 'contract'

const USERS = '/users/'
const USERNAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/

export async function get({ username }) {
  const entry = await index.get(USERS + username)
  return entry ? entry.value : null
}

export function put({ username, publicKey }, emit) {
  emit({ op: 'PUT', username, publicKey })
}

export const apply = {
  PUT(tx, op) {
    assert(typeof op.username === 'string' && USERNAME.test(op.username), `username must be 1 to 64 of a-z 0-9 _ . - (starting with a letter or digit), got ${JSON.stringify(op.username)}`)
    assert(typeof op.publicKey === 'string' && op.publicKey.length > 0 && op.publicKey.length <= 1024, `publicKey must be a string of 1 to 1024 characters, got ${JSON.stringify(op.publicKey)}`)
    tx.put(USERS + op.username, op.publicKey)
  },
}
