// A monitor's replica can follow a reorg while the monitor compares it with a root it saw before:
// the conflict's evidence must then pair the new tree hash with the new head, never with the old one
// (which would be a notice whose own evidence shows no conflict).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type Hypercore from 'hypercore'
import { checkRoot } from '../src/verify/heads.js'

/** A log of `length` whose tree is replaced by a fork of the same length right after its first treeHash read. */
function reorgingLog(length: number, honest: Buffer, fork: Buffer): Hypercore {
  let reads = 0
  return {
    length,
    state: { signature: null },
    async treeHash() {
      return reads++ === 0 ? honest : fork
    },
  } as unknown as Hypercore
}

test('a rewrite found while the replica follows the reorg carries the new head as evidence', async () => {
  const honest = Buffer.alloc(32, 1)
  const fork = Buffer.alloc(32, 2)
  const seen = { length: 5, hash: honest.toString('hex'), signature: null }
  const log = reorgingLog(5, honest, fork)
  // Read before the reorg, the log matches; the next check sees the fork. Either way, no check may
  // report the fork with the old head as its evidence.
  const conflict = (await checkRoot(log, seen, 'index')) ?? (await checkRoot(log, seen, 'index'))
  assert.equal(conflict?.class, 'index-rewritten')
  assert.equal(conflict.after.length, 5)
  assert.notEqual(conflict.after.hash, conflict.before.hash, 'the evidence shows the two roots')
  assert.equal(conflict.after.hash, fork.toString('hex'))
})
