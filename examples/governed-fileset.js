// Governed fileset (seed 001 §5.2): a set of files that changes only by majority vote.
//
// Any participant may propose a commit: a map from file path to new content (a string), or to null
// to delete the file. The proposal starts "proposed". Each participant may accept or reject it and
// may change their vote while it is still proposed. Once a majority of the CURRENT participants
// (`listOplogs()` when the vote is counted) accept, the files are written and the proposal is
// "accepted"; once a majority reject, it is "rejected". Either way voting on it is closed. The
// proposer's proposal is not a vote: they accept like everyone else.
//
// Files live at `/files/{path}`, proposals at `/proposals/{proposalId}`.

import assert from 'assert'
import { index, listOplogs } from 'contract'

const FILES = '/files/'
const PROPOSALS = '/proposals/'
const PROPOSAL_ID = /^[A-Za-z0-9_.-]{1,64}$/
const SEGMENT = /^[A-Za-z0-9_.-]+$/
const MAX_FILES = 100

// API functions.

/** Paths of the files under the directory `path` (all files when path is '' or absent). */
export async function listFiles(params) {
  const dir = trimSlashes((params && params.path) || '')
  const entries = await index.list(dir ? `${FILES}${dir}/` : FILES)
  return entries.map((e) => e.key.slice(FILES.length))
}

export async function getFile({ path }) {
  const entry = await index.get(FILES + trimSlashes(path || ''))
  return entry ? entry.value : null
}

/** Every proposal, with its vote counts among the current participants. */
export async function listProposals() {
  const members = await participants()
  const entries = await index.list(PROPOSALS)
  return entries.map((e) => summarize(e.value, members))
}

/** One proposal with its file contents. */
export async function getProposal({ proposalId }) {
  const entry = await index.get(PROPOSALS + proposalId)
  return entry ? { ...summarize(entry.value, await participants()), files: entry.value.files } : null
}

export function proposeCommit({ proposalId, files }, emit) {
  emit({ op: 'PROPOSE_COMMIT', proposalId, files })
}

export function acceptCommit({ proposalId }, emit) {
  emit({ op: 'VOTE', proposalId, vote: 'accept' })
}

export function rejectCommit({ proposalId }, emit) {
  emit({ op: 'VOTE', proposalId, vote: 'reject' })
}

// Shared helpers.

function trimSlashes(path) {
  return String(path).replace(/^\/+|\/+$/g, '')
}

async function participants() {
  return (await listOplogs()).map((o) => o.pubkey)
}

function tally(proposal, members) {
  let accepts = 0
  let rejects = 0
  for (const m of members) {
    if (proposal.votes[m] === 'accept') accepts++
    else if (proposal.votes[m] === 'reject') rejects++
  }
  return { accepts, rejects, needed: Math.floor(members.length / 2) + 1 }
}

function summarize(p, members) {
  return { proposalId: p.proposalId, proposer: p.proposer, state: p.state, paths: Object.keys(p.files), votes: p.votes, ...tally(p, members) }
}

function checkPath(path) {
  assert(typeof path === 'string' && path.length > 0 && path.length <= 256, `file path must be a string of 1 to 256 characters, got ${JSON.stringify(path)}`)
  const segments = path.split('/')
  for (const s of segments) {
    assert(SEGMENT.test(s) && s !== '.' && s !== '..', `bad file path ${JSON.stringify(path)}: use segments of A-Z a-z 0-9 _ . - separated by single slashes, no "." or ".."`)
  }
}

// apply: the rules.

export const apply = {
  async PROPOSE_COMMIT(tx, op, ack) {
    assert(typeof op.proposalId === 'string' && PROPOSAL_ID.test(op.proposalId), `proposalId must be 1 to 64 of A-Z a-z 0-9 _ . -, got ${JSON.stringify(op.proposalId)}`)
    assert((await tx.get(PROPOSALS + op.proposalId)) === null, `proposal ${op.proposalId} already exists`)
    const files = op.files
    assert(files !== null && typeof files === 'object' && !Array.isArray(files), 'files must be an object mapping paths to contents (null deletes)')
    const paths = Object.keys(files)
    assert(paths.length > 0 && paths.length <= MAX_FILES, `a commit changes 1 to ${MAX_FILES} files, this one ${paths.length}`)
    for (const path of paths) {
      checkPath(path)
      assert(files[path] === null || typeof files[path] === 'string', `content of ${path} must be a string, or null to delete it`)
    }
    tx.put(PROPOSALS + op.proposalId, { proposalId: op.proposalId, proposer: ack.origin, state: 'proposed', files, votes: {} })
  },

  async VOTE(tx, op, ack) {
    assert(op.vote === 'accept' || op.vote === 'reject', `vote must be "accept" or "reject", got ${JSON.stringify(op.vote)}`)
    const entry = await tx.get(PROPOSALS + op.proposalId)
    assert(entry !== null, `there is no proposal ${JSON.stringify(op.proposalId)}`)
    const proposal = entry.value
    assert(proposal.state === 'proposed', `proposal ${op.proposalId} is already ${proposal.state}; votes can change only while it is proposed`)
    assert(proposal.votes[ack.origin] !== op.vote, `this participant already voted ${op.vote} on ${op.proposalId}`)
    const votes = { ...proposal.votes, [ack.origin]: op.vote }
    const { accepts, rejects, needed } = tally({ votes }, await participants())
    let state = 'proposed'
    if (accepts >= needed) {
      state = 'accepted'
      for (const path of Object.keys(proposal.files)) {
        const content = proposal.files[path]
        if (content !== null) tx.put(FILES + path, content)
        else if ((await tx.get(FILES + path)) !== null) tx.delete(FILES + path)
      }
    } else if (rejects >= needed) {
      state = 'rejected'
    }
    tx.put(PROPOSALS + op.proposalId, { ...proposal, state, votes })
  },
}
