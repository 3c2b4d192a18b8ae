// The canonical outcome of an op is what a freshly created VM produces; a long-lived VM must agree.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ContractVM, MemoryState, type AckInput, type ApplyResult, type Json } from '../src/vm/index.js'

const ORIGIN = 'e'.repeat(64)
const ack = (seq: number): AckInput => ({ origin: ORIGIN, seq, ts: 1_700_000_000_000 + seq, metadata: null })

const CONTRACT = `
import { index } from 'contract'
import assert from 'assert'
export const apply = {
  async ADD(tx, op) {
    const e = await index.get('/sum')
    tx.put('/sum', (e ? e.value : 0) + op.n)
    tx.put('/items/' + String(op.n).padStart(4, '0'), { n: op.n, at: new Date(1e12 + op.n).toISOString() })
  },
  LOOP(tx, op) {
    let x = 0
    for (let i = 0; i < op.n; i++) x = (x * 31 + i) % 1000003
    tx.put('/loop', x)
  },
  LIST(tx, op) { tx.put('/list', index.list('/items', { limit: op.limit, reverse: op.reverse }).map((e) => e.value.n)) },
  FAIL(tx, op) { tx.put('/never', 1); assert.equal(op.a, op.b, 'a and b differ') },
  async DANGLING(tx) {
    const spin = (n) => (n > 0 ? Promise.resolve().then(() => spin(n - 1)) : null)
    spin(50)
    tx.put('/dangling', true)
  },
  DEL(tx, op) { tx.del('/items/' + String(op.n).padStart(4, '0')) },
}
`

function outcome(r: ApplyResult): { success: boolean; error: string | null; changes: unknown } {
  return { success: r.success, error: r.error, changes: r.changes }
}

describe('determinism', () => {
  it('gives the same results on a warm VM as on a fresh VM for every op', async () => {
    const ops: Json[] = []
    for (let i = 1; i <= 40; i++) {
      ops.push({ op: 'ADD', n: i })
      if (i % 3 === 0) ops.push({ op: 'LOOP', n: i * 997 })
      if (i % 5 === 0) ops.push({ op: 'LIST', limit: i % 7, reverse: i % 2 === 0 })
      if (i % 7 === 0) ops.push({ op: 'FAIL', a: i, b: i % 2 === 0 ? i : -i })
      if (i % 9 === 0) ops.push({ op: 'DANGLING' })
      if (i % 4 === 0) ops.push({ op: 'DEL', n: i - 2 })
    }
    const warm = await ContractVM.create(CONTRACT)
    const judge = await ContractVM.create(CONTRACT)
    const warmState = new MemoryState()
    const freshState = new MemoryState()
    for (const [seq, op] of ops.entries()) {
      const w = warm.apply(op, ack(seq), warmState)
      const f = judge.applyFresh(op, ack(seq), freshState)
      assert.deepEqual(outcome(w), outcome(f), `op ${seq} ${JSON.stringify(op)}`)
      warmState.apply(w.changes)
      freshState.apply(f.changes)
    }
    assert.deepEqual(warmState.list(''), freshState.list(''))
    assert.equal(warmState.get('/sum'), (40 * 41) / 2)
    warm.dispose()
    judge.dispose()
  })

  it('agrees with a fresh VM on ops that end right at the gas limit', async () => {
    const limits = { gas: 12 }
    const judge = await ContractVM.create(CONTRACT, { limits })
    // The same ack for every run: parsing its numbers costs fuel too, so another ack is another op.
    const fresh = (n: number): ApplyResult => judge.applyFresh({ op: 'LOOP', n }, ack(9), new MemoryState())
    // The largest loop a fresh VM completes within the limit.
    let lo = 0
    let hi = 1 << 20
    assert.equal(fresh(hi).success, false)
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (fresh(mid).success) lo = mid
      else hi = mid
    }
    const boundary = lo
    assert.ok(boundary > 1000, `boundary ${boundary}`)
    assert.match(fresh(boundary + 1).error ?? '', /^gas limit exceeded \(12\)$/)

    // Warm VMs whose heaps earlier ops of many sizes left in different states.
    const candidates = [boundary - 200, boundary - 1, boundary, boundary + 1, boundary + 200]
    for (let warmup = 0; warmup < boundary; warmup += Math.ceil(boundary / 12)) {
      const vm = await ContractVM.create(CONTRACT, { limits })
      assert.equal(vm.apply({ op: 'LOOP', n: warmup }, ack(0), new MemoryState()).success, true)
      for (const n of candidates) {
        const w = vm.apply({ op: 'LOOP', n }, ack(9), new MemoryState())
        const f = fresh(n)
        assert.deepEqual(outcome(w), outcome(f), `n=${n} after warmup ${warmup}`)
        if (n >= boundary - 1) assert.equal(w.gas, f.gas, `gas for n=${n} after warmup ${warmup}`)
      }
      vm.dispose()
    }
    judge.dispose()
  })

  it('counts gas the same way every time for the same op', async () => {
    const vm = await ContractVM.create(CONTRACT, { limits: { gas: 500 } })
    const r1 = vm.applyFresh({ op: 'LOOP', n: 100_000 }, ack(0), new MemoryState())
    const r2 = vm.applyFresh({ op: 'LOOP', n: 100_000 }, ack(0), new MemoryState())
    assert.equal(r1.success, true)
    assert.ok(r1.gas > 2, `gas ${r1.gas}`)
    assert.equal(r1.gas, r2.gas)
    const warm = vm.apply({ op: 'LOOP', n: 100_000 }, ack(0), new MemoryState())
    assert.ok(Math.abs(warm.gas - r1.gas) <= 1, `warm ${warm.gas} fresh ${r1.gas}`)
    vm.dispose()
  })
})

describe('memory and history', () => {
  // CYCLE leaves garbage only QuickJS's cycle collector frees; TRY allocates and catches running
  // out of memory, which a contract may do. Where that failure falls must not depend on what ran
  // before the op in a long-lived VM: it is decided as in a brand-new one.
  const contract = `
export const apply = {
  CYCLE(tx, op) { for (let i = 0; i < op.n; i++) { const a = {}; const b = { a }; a.b = b; a.s = 'x'.repeat(1 << 20) + i } },
  TRY(tx, op) {
    try { const parts = []; for (let i = 0; i < op.n; i++) parts.push('z'.repeat(1 << 20) + i); tx.put('/r', 'allocated ' + parts.length) }
    catch (e) { tx.put('/r', 'caught ' + String(e)) }
  },
}`
  const state = new MemoryState()
  // Filling most of the heap takes more than the default gas.
  const limits = { gas: 20_000 }

  it('an op that catches running out of memory gets the result a brand-new VM gets, whatever garbage earlier ops left', async () => {
    for (const [garbage, wanted] of [[60, 40], [60, 58], [30, 50], [0, 40]]) {
      const brandNew = await ContractVM.create(contract, { limits })
      const alone = outcome(brandNew.apply({ op: 'TRY', n: wanted }, ack(0), state))
      brandNew.dispose()
      const vm = await ContractVM.create(contract, { limits })
      try {
        assert.equal(vm.apply({ op: 'CYCLE', n: garbage }, ack(0), state).success, true)
        const after = outcome(vm.apply({ op: 'TRY', n: wanted }, ack(1), state))
        assert.deepEqual(after, alone, `TRY ${wanted} MiB after ${garbage} MiB of garbage`)
        // And the VM keeps agreeing afterwards, once its warm module was replaced.
        await vm.ready()
        assert.deepEqual(outcome(vm.apply({ op: 'TRY', n: wanted }, ack(2), state)), alone)
      } finally {
        vm.dispose()
      }
      assert.deepEqual((alone.changes as { value: string }[])[0].value, `allocated ${wanted}`, 'each size fits a fresh heap')
    }
  })
})
