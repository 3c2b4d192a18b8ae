// A claiming monitor as a C2SP witness (c2sp.org/tlog-witness, docs/protocol.md §11.2): an executor
// that wants cosignatures submits its checkpoint with a consistency proof from the last one this
// monitor cosigned, and gets the monitor's cosignature back. Unlike a plain witness, a Glassbox
// monitor cosigns only what it has replayed: the answer waits for its claim at that size.

import { fromHex, toHex } from '../codec/hash.js'
import { base64ToBytes } from '../codec/primitives.js'
import { NoteError, parseNote, signaturesBy, verifyNoteSignature } from '../codec/signed-note.js'
import { verifyConsistency } from '../log/accumulator.js'
import { indexNoteKey } from '../log/seal.js'
import { databaseOrigin, parseCheckpoint } from '../log/tlog-checkpoint.js'
import { claimCheckpointText, cosignedNote, type Claim } from './claim.js'
import type { ClaimsLog } from './claims-log.js'

/** What the HTTP route answers: a status, a content type and a text body. */
export interface WitnessAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422 | 503
  type: string
  body: string
}

const MAX_PROOF_LINES = 63
const text = (status: WitnessAnswer['status'], body: string): WitnessAnswer => ({ status, type: 'text/plain; charset=utf-8', body: body.endsWith('\n') ? body : `${body}\n` })

/** Parses an add-checkpoint body: the old size line, proof lines, a blank line, the signed checkpoint. */
export function parseAddCheckpoint(body: string): { old: number; proof: Uint8Array[]; note: string } {
  const split = body.indexOf('\n\n')
  if (split < 0) throw new NoteError('NOTE_MALFORMED', 'the body needs an old size line, proof lines, a blank line and the checkpoint')
  const lines = body.slice(0, split).split('\n')
  const m = /^old (0|[1-9][0-9]*)$/.exec(lines[0] ?? '')
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new NoteError('NOTE_MALFORMED', 'the first line must be "old <size>"')
  const hashes = lines.slice(1)
  if (hashes.length > MAX_PROOF_LINES) throw new NoteError('NOTE_MALFORMED', `more than ${MAX_PROOF_LINES} consistency proof lines`)
  const proof = hashes.map((h) => {
    const bytes = base64ToBytes(h)
    if (!bytes || bytes.length !== 32) throw new NoteError('NOTE_MALFORMED', `a proof line is not the base64 of a 32-byte hash: ${JSON.stringify(h.slice(0, 60))}`)
    return bytes
  })
  return { old: Number(m[1]), proof, note: body.slice(split + 2) }
}

/**
 * Answers an add-checkpoint request for the database `database` (signed by `signer`, both hex) from
 * the monitor whose claims are in `log`. `claimed(size)` resolves with the monitor's claim at that
 * size once it has replayed that far, or null if it claimed past it or time ran out.
 */
export async function addCheckpoint(body: string, database: string, signer: string, log: ClaimsLog, claimed: (size: number) => Promise<Claim | null>): Promise<WitnessAnswer> {
  let request
  let note
  try {
    request = parseAddCheckpoint(body)
    note = parseNote(request.note)
  } catch (err) {
    return text(400, (err as Error).message)
  }
  let checkpoint
  try {
    checkpoint = parseCheckpoint(note.text)
  } catch (err) {
    return text(400, (err as Error).message)
  }
  if (checkpoint.origin !== databaseOrigin(fromHex(database))) return text(404, `this witness knows no log ${JSON.stringify(checkpoint.origin.slice(0, 100))}`)
  const key = indexNoteKey(fromHex(database), fromHex(signer))
  if (!signaturesBy(note, key).some((s) => verifyNoteSignature(note.text, s, key))) return text(403, "the checkpoint carries no valid signature of the database's executor")
  if (request.old > checkpoint.size) return text(400, `old size ${request.old} is past the checkpoint's size ${checkpoint.size}`)
  const latest = await log.last()
  const latestSize = latest?.length ?? 0
  if (request.old !== latestSize) return { status: 409, type: 'text/x.tlog.size', body: `${latestSize}\n` }
  if (request.old === checkpoint.size) {
    if (!latest || toHex(checkpoint.root) !== latest.entriesRoot) return text(409, `the checkpoint at size ${checkpoint.size} is not the one this monitor cosigned`)
  } else {
    const oldRoot = latest ? fromHex(latest.entriesRoot) : null
    const consistent = oldRoot ? verifyConsistency(request.old, checkpoint.size, oldRoot, checkpoint.root, request.proof) : request.proof.length === 0
    if (!consistent) return text(422, `the consistency proof from size ${request.old} to ${checkpoint.size} does not verify`)
  }
  const claim = request.old === checkpoint.size ? latest : await claimed(checkpoint.size)
  if (!claim) {
    const now = (await log.last())?.length ?? 0
    if (now > checkpoint.size) return { status: 409, type: 'text/x.tlog.size', body: `${now}\n` }
    return text(503, `this monitor has not replayed the log through size ${checkpoint.size} yet; try again`)
  }
  // The monitor replayed the log through this size: its checkpoint must be the one submitted.
  if (claimCheckpointText(claim) !== note.text) return text(409, `this monitor replayed a different checkpoint at size ${checkpoint.size}`)
  // The claim's cosigned note, less its text and the blank line: the signature line alone.
  return { status: 200, type: 'text/plain; charset=utf-8', body: cosignedNote(claim).slice(note.text.length + 1) }
}
