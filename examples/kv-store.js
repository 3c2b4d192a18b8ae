// Key/value store with an admin.
//
// Every participant (an oplog that is an input of the database) may put and delete values under
// `/values/`. One participant is the admin: the first whose CLAIM_ADMIN op is processed. Only the
// admin may add or remove participants, which the contract does itself with `tx.addOplog` and
// `tx.removeOplog`. The admin check runs in `apply` against `ack.origin`, the oplog the op was
// signed into: a participant cannot claim to be someone else, and calling `addParticipant()`
// from a non-admin oplog yields an op whose ack says why it failed and which changes nothing.
//
// `put` reads nothing and writes one key, so it is the cheapest op a contract can have.

import assert from 'assert'
import { index, listOplogs } from 'contract'

const VALUES = '/values/'
const ADMIN = '/admin'
const PUBKEY = /^[0-9a-f]{64}$/

// API functions: read state or emit ops.

export async function get({ key }) {
  const entry = await index.get(VALUES + key)
  return entry ? entry.value : null
}

export async function list() {
  const entries = await index.list(VALUES)
  return entries.map((e) => ({ key: e.key.slice(VALUES.length), value: e.value }))
}

export async function getAdmin() {
  const entry = await index.get(ADMIN)
  return entry ? entry.value : null
}

export async function listParticipants() {
  return (await listOplogs()).map((o) => o.pubkey)
}

export function claimAdmin(_params, emit) {
  emit({ op: 'CLAIM_ADMIN' })
}

export function put({ key, value }, emit) {
  assert(value !== undefined, 'put needs a value (null is a value; to remove a key use delete)')
  emit({ op: 'PUT', key, value })
}

function del({ key }, emit) {
  emit({ op: 'DELETE', key })
}
export { del as delete }

export function addParticipant({ pubkey }, emit) {
  emit({ op: 'ADD_PARTICIPANT', pubkey })
}

export function removeParticipant({ pubkey }, emit) {
  emit({ op: 'REMOVE_PARTICIPANT', pubkey })
}

// apply: the rules.

function checkKey(key) {
  assert(typeof key === 'string' && key.length > 0 && key.length <= 512, `key must be a string of 1 to 512 characters, got ${JSON.stringify(key)}`)
}

function short(pubkey) {
  return typeof pubkey === 'string' ? pubkey.slice(0, 8) + '…' : JSON.stringify(pubkey)
}

async function requireAdmin(tx, ack) {
  const admin = await tx.get(ADMIN)
  assert(admin !== null, 'there is no admin yet: a participant must claim it first')
  assert(admin.value === ack.origin, `only the admin (${short(admin.value)}) may change participants, not ${short(ack.origin)}`)
}

async function isParticipant(pubkey) {
  return (await listOplogs()).some((o) => o.pubkey === pubkey)
}

export const apply = {
  async CLAIM_ADMIN(tx, _op, ack) {
    const admin = await tx.get(ADMIN)
    assert(admin === null, `the admin is already ${short(admin && admin.value)}`)
    tx.put(ADMIN, ack.origin)
  },

  PUT(tx, op) {
    checkKey(op.key)
    assert(op.value !== undefined, 'put needs a value')
    tx.put(VALUES + op.key, op.value)
  },

  async DELETE(tx, op) {
    checkKey(op.key)
    assert((await tx.get(VALUES + op.key)) !== null, `no value at key ${JSON.stringify(op.key)}`)
    tx.delete(VALUES + op.key)
  },

  async ADD_PARTICIPANT(tx, op, ack) {
    await requireAdmin(tx, ack)
    assert(typeof op.pubkey === 'string' && PUBKEY.test(op.pubkey), `pubkey must be 64 lowercase hex characters, got ${JSON.stringify(op.pubkey)}`)
    assert(!(await isParticipant(op.pubkey)), `${short(op.pubkey)} is already a participant`)
    tx.addOplog({ pubkey: op.pubkey })
  },

  async REMOVE_PARTICIPANT(tx, op, ack) {
    await requireAdmin(tx, ack)
    assert(op.pubkey !== ack.origin, 'the admin cannot remove itself')
    assert(await isParticipant(op.pubkey), `${short(op.pubkey)} is not a participant`)
    tx.removeOplog({ pubkey: op.pubkey })
  },
}
