// Membership by majority vote: the participants decide together who else may write.
//
// A member proposes to add or remove an oplog (by public key); proposing counts as the proposer's
// yes vote. Members vote yes or no and may change their vote while the proposal is open. Once a
// majority of the current members (`listOplogs()` when the vote is counted) say yes, the contract
// enacts it with `tx.addOplog` / `tx.removeOplog` and the executor starts or stops processing that
// oplog from the next op on; once a majority say no, the proposal fails. Either way it is closed.
//
// The same vote names the executor's standby (action "standby", pubkey: the standby's swarm key, as
// `glassbox serve --standby` prints it): `standby()` returns it, the executor holds each block there
// before appending it, and only that standby may take over (docs/protocol.md §18.4).
//
// Proposal ids come from `genUUID()` in the API function: the id is fixed in the op before it
// reaches `apply`, which has no randomness. Proposals live at `/proposals/{id}`.

import assert from 'assert'
import { index, isWriter, listOplogs, oplog } from 'contract'
import { genUUID } from 'util'

const PROPOSALS = '/proposals/'
const STANDBY = '/standby'
const PUBKEY = /^[0-9a-f]{64}$/
const ID = /^[A-Za-z0-9-]{1,64}$/

// API functions.

export async function listMembers() {
  return (await listOplogs()).map((o) => o.pubkey)
}

/** Whether the caller's oplog is a member, and its key. */
export function whoami() {
  return { pubkey: oplog ? oplog.pubkey : null, member: isWriter }
}

/** The executor's standby the members voted for (its swarm key), or null. */
export async function standby() {
  const entry = await index.get(STANDBY)
  return entry ? entry.value.pubkey : null
}

export async function listProposals() {
  const members = await listMembers()
  return (await index.list(PROPOSALS)).map((e) => ({ ...e.value, ...tally(e.value.votes, members) }))
}

export async function getProposal({ id }) {
  const entry = await index.get(PROPOSALS + id)
  return entry ? { ...entry.value, ...tally(entry.value.votes, await listMembers()) } : null
}

export function propose({ action, pubkey }, emit) {
  const id = genUUID()
  emit({ op: 'PROPOSE', id, action, pubkey })
  return { id }
}

export function vote({ id, approve }, emit) {
  emit({ op: 'VOTE', id, approve })
}

// Shared helpers.

function tally(votes, members) {
  let yes = 0
  let no = 0
  for (const m of members) {
    if (votes[m] === true) yes++
    else if (votes[m] === false) no++
  }
  return { yes, no, needed: Math.floor(members.length / 2) + 1 }
}

function short(pubkey) {
  return typeof pubkey === 'string' ? pubkey.slice(0, 8) + '…' : JSON.stringify(pubkey)
}

// Counts the votes with the current members, and enacts or closes the proposal when one side has a majority.
async function settle(tx, proposal) {
  const members = await listMembers()
  const { yes, no, needed } = tally(proposal.votes, members)
  if (yes >= needed) {
    if (proposal.action === 'add') {
      assert(!members.includes(proposal.pubkey), `${short(proposal.pubkey)} is already a member`)
      tx.addOplog({ pubkey: proposal.pubkey })
    } else if (proposal.action === 'standby') {
      tx.put(STANDBY, { pubkey: proposal.pubkey, proposal: proposal.id })
    } else {
      assert(members.includes(proposal.pubkey), `${short(proposal.pubkey)} is no longer a member`)
      assert(members.length > 1, 'the last member cannot be removed')
      tx.removeOplog({ pubkey: proposal.pubkey })
    }
    return { ...proposal, state: 'passed' }
  }
  if (no >= needed) return { ...proposal, state: 'failed' }
  return proposal
}

// apply: the rules.

export const apply = {
  async PROPOSE(tx, op, ack) {
    assert(typeof op.id === 'string' && ID.test(op.id), `proposal id must be 1 to 64 of A-Z a-z 0-9 -, got ${JSON.stringify(op.id)}`)
    assert(op.action === 'add' || op.action === 'remove' || op.action === 'standby', `action must be "add", "remove" or "standby", got ${JSON.stringify(op.action)}`)
    assert(typeof op.pubkey === 'string' && PUBKEY.test(op.pubkey), `pubkey must be 64 lowercase hex characters, got ${JSON.stringify(op.pubkey)}`)
    assert((await tx.get(PROPOSALS + op.id)) === null, `proposal ${op.id} already exists`)
    const members = await listMembers()
    if (op.action === 'add') assert(!members.includes(op.pubkey), `${short(op.pubkey)} is already a member`)
    else if (op.action === 'remove') assert(members.includes(op.pubkey), `${short(op.pubkey)} is not a member`)
    const open = (await index.list(PROPOSALS)).find((e) => e.value.state === 'open' && e.value.pubkey === op.pubkey)
    assert(!open, `proposal ${open && open.value.id} about ${short(op.pubkey)} is still open`)
    const proposal = { id: op.id, action: op.action, pubkey: op.pubkey, proposer: ack.origin, state: 'open', votes: { [ack.origin]: true } }
    tx.put(PROPOSALS + op.id, await settle(tx, proposal))
  },

  async VOTE(tx, op, ack) {
    assert(typeof op.approve === 'boolean', `approve must be true or false, got ${JSON.stringify(op.approve)}`)
    const entry = await tx.get(PROPOSALS + op.id)
    assert(entry !== null, `there is no proposal ${JSON.stringify(op.id)}`)
    const proposal = entry.value
    assert(proposal.state === 'open', `proposal ${op.id} has ${proposal.state}; voting on it is closed`)
    assert(proposal.votes[ack.origin] !== op.approve, `this member already voted ${op.approve ? 'yes' : 'no'} on ${op.id}`)
    tx.put(PROPOSALS + op.id, await settle(tx, { ...proposal, votes: { ...proposal.votes, [ack.origin]: op.approve } }))
  },
}
