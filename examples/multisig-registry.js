// Multisig public-key registry (seed 001 §5.1): a key change needs two participants.
//
// `put(username, publicKey)` only proposes a key. It becomes the username's active key when a
// DIFFERENT participant confirms it with `verify(username, publicKey)`. Proposals are kept per
// proposer at `/pending/{username}/{proposer}` so that several can be open at once and anyone can
// see them (`getPending`). When a key is verified it becomes active and every pending proposal for
// that username is closed: they were proposals to replace the previous key.
//
// The proposer/verifier check uses `ack.origin`, so it holds no matter how the op was written.

import assert from 'assert'
import { index } from 'contract'

const KEYS = '/keys/'
const PENDING = '/pending/'
const USERNAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/

// API functions.

export async function get({ username }) {
  const entry = await index.get(KEYS + username)
  return entry ? entry.value.publicKey : null
}

/** The active key with who proposed and who verified it. */
export async function getRecord({ username }) {
  const entry = await index.get(KEYS + username)
  return entry ? entry.value : null
}

export async function getPending({ username }) {
  const entries = await index.list(`${PENDING}${username}/`)
  return entries.map((e) => e.value)
}

export function put({ username, publicKey }, emit) {
  emit({ op: 'PROPOSE', username, publicKey })
}

export function verify({ username, publicKey }, emit) {
  emit({ op: 'VERIFY', username, publicKey })
}

// apply: the rules.

function checkUsername(username) {
  assert(typeof username === 'string' && USERNAME.test(username), `username must be 1 to 64 of a-z 0-9 _ . - (starting with a letter or digit), got ${JSON.stringify(username)}`)
}

function checkPublicKey(publicKey) {
  assert(typeof publicKey === 'string' && publicKey.length > 0 && publicKey.length <= 1024, `publicKey must be a string of 1 to 1024 characters, got ${JSON.stringify(publicKey)}`)
}

export const apply = {
  async PROPOSE(tx, op, ack) {
    checkUsername(op.username)
    checkPublicKey(op.publicKey)
    const active = await tx.get(KEYS + op.username)
    assert(!active || active.value.publicKey !== op.publicKey, `${op.publicKey} is already the active key of ${op.username}`)
    // A participant has at most one open proposal per username; a new one replaces it.
    tx.put(`${PENDING}${op.username}/${ack.origin}`, { username: op.username, publicKey: op.publicKey, proposer: ack.origin })
  },

  async VERIFY(tx, op, ack) {
    checkUsername(op.username)
    checkPublicKey(op.publicKey)
    const pending = await index.list(`${PENDING}${op.username}/`)
    assert(pending.length > 0, `there is no pending proposal for ${op.username}`)
    const matching = pending.filter((e) => e.value.publicKey === op.publicKey)
    assert(matching.length > 0, `no pending proposal for ${op.username} has the key ${op.publicKey}`)
    const proposal = matching.find((e) => e.value.proposer !== ack.origin)
    assert(proposal, `a key must be verified by a participant other than its proposer`)
    tx.put(KEYS + op.username, { publicKey: op.publicKey, proposer: proposal.value.proposer, verifier: ack.origin })
    for (const e of pending) tx.delete(e.key)
  },
}
