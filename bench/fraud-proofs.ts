// Fraud proofs at scale: for a key/value database of n ops (built by bench/proofs.ts), the size of
// the proof of a tampered op and the time the judge takes to check it (it holds only the file).

import { decodeEntry, encodeEntry, type OpEntry } from '../src/codec/messages.js'
import { rewriteSealed } from '../src/demo/dishonest.js'
import { LogStore } from '../src/log/store.js'
import { judgeText } from '../src/verify/judge.js'
import { verifyDirectory } from '../src/verify/verify-dir.js'

/**
 * Tampers the last op of the database in `dir` (re-signing the seals after it, as a dishonest
 * executor would), verifies it to get the fraud proof, and times the judge on the file's text
 * (parse, signatures, Merkle proofs, witness, one op in a fresh VM; best of `judgeRuns`).
 */
export async function measureFraudProof(dir: string, judgeRuns = 5): Promise<{ bytes: number; judgeMs: number }> {
  await tamperLastOp(dir)
  const report = await verifyDirectory(dir, { fraudProof: true })
  const proof = report.fraudProof?.proof
  if (!proof) throw new Error(`no proof: ${report.fraudProof?.reason ?? 'no breach found'}`)
  const text = JSON.stringify(proof)
  let best = Infinity
  for (let i = 0; i < judgeRuns; i++) {
    const started = performance.now()
    const verdict = await judgeText(text)
    best = Math.min(best, performance.now() - started)
    if (verdict.verdict !== 'proven') throw new Error(`the judge says ${verdict.verdict}: ${verdict.reason}`)
  }
  return { bytes: Buffer.byteLength(text), judgeMs: best }
}

async function tamperLastOp(dir: string): Promise<void> {
  const logs = new LogStore(dir)
  await logs.ready()
  try {
    const index = await logs.localIndex()
    let at = index.length - 1
    while (at >= 0 && decodeEntry((await index.get(at))!).type !== 'op') at--
    const blocks: Uint8Array[] = []
    for (let i = at; i < index.length; i++) blocks.push((await index.get(i))!)
    const entry = decodeEntry(blocks[0]) as OpEntry
    blocks[0] = encodeEntry({ ...entry, changes: entry.changes.map((c) => (c.type === 'put' ? { ...c, value: 'forged' } : c)) })
    await rewriteSealed(index, at, blocks)
  } finally {
    await logs.close()
  }
}
