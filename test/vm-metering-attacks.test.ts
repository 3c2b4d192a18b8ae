// The adversary of metering: a participant whose ops make QuickJS's built-ins do work that grows
// with their input, to stall the executor for hours per op. Gas must grow with that work, every
// such op must end as out of gas, and the outcome must still be the canonical one.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ContractVM, MemoryState, type AckInput, type ApplyResult, type Json } from '../src/vm/index.js'
import { HOSTILE_FAMILIES, hostileContract } from './fixtures/hostile-builtins.js'

const ack: AckInput = { origin: 'c'.repeat(64), seq: 0, ts: 1_700_000_000_000, metadata: null }
const CONTRACT = hostileContract()
const opOf = (family: string, n: number, rounds?: number): Json => {
  const i = HOSTILE_FAMILIES.findIndex((f) => f.family === family)
  return rounds === undefined ? { op: `F${i}`, n } : { op: `F${i}`, n, rounds }
}
const outcome = (r: ApplyResult) => ({ success: r.success, error: r.error, changes: r.changes })

describe('metering of native work', { timeout: 300_000 }, () => {
  it('charges each family of built-ins in proportion to the work it does', async () => {
    const vm = await ContractVM.create(CONTRACT, { limits: { gas: 20_000 } })
    // The cost of 20 steps, setup excluded: with unmetered built-ins it would not depend on size.
    const stepCost = (n: number, family: string) => {
      const once = vm.applyFresh(opOf(family, n, 1), ack, new MemoryState())
      const many = vm.applyFresh(opOf(family, n, 21), ack, new MemoryState())
      assert.ok(once.success && many.success, `${family} at ${n}: ${once.error ?? many.error}`)
      return many.gas - once.gas
    }
    for (const f of HOSTILE_FAMILIES) {
      const small = stepCost(f.small, f.family)
      const large = stepCost(f.large, f.family)
      assert.ok(large >= 4, `${f.family}: 20 large steps cost ${large} gas`)
      assert.ok(large >= 4 * Math.max(small, 1), `${f.family}: 20 steps cost ${small} gas at ${f.small} and ${large} at ${f.large}`)
    }
    vm.dispose()
  })

  it('ends every hostile loop as out of gas, and the VM keeps serving', async () => {
    const vm = await ContractVM.create(CONTRACT, { limits: { gas: 200 } })
    for (const f of HOSTILE_FAMILIES) {
      const r = vm.apply(opOf(f.family, f.large), ack, new MemoryState())
      assert.equal(r.success, false, f.family)
      assert.equal(r.error, 'gas limit exceeded (200)', f.family)
      assert.deepEqual(r.changes, [])
      // The trap left no trace: a cheap op still runs, warm and fresh alike.
      const ok = vm.apply(opOf('typed fill', 16, 1), ack, new MemoryState())
      assert.deepEqual(outcome(ok), outcome(vm.applyFresh(opOf('typed fill', 16, 1), ack, new MemoryState())), f.family)
      assert.equal(ok.success, true)
    }
    vm.dispose()
  })

  it('agrees with a pristine VM on native-heavy ops that end right at the gas limit', async () => {
    const limits = { gas: 40 }
    const judge = await ContractVM.create(CONTRACT, { limits })
    for (const family of ['string ===', 'typed sort', 'array spread']) {
      const size = HOSTILE_FAMILIES.find((f) => f.family === family)!.small
      const fresh = (rounds: number) => judge.applyFresh(opOf(family, size, rounds), ack, new MemoryState())
      let lo = 0
      let hi = 1
      while (fresh(hi).success) hi *= 2
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1
        if (fresh(mid).success) lo = mid
        else hi = mid
      }
      assert.ok(lo > 0, `${family}: boundary ${lo}`)
      // Warm VMs with different histories behind them: an op that filled the heap, one that trapped.
      const histories: Json[][] = [[], [opOf('string repeat', 1 << 22, 3)], [opOf('typed sort', 1 << 16)]]
      for (const history of histories) {
        const vm = await ContractVM.create(CONTRACT, { limits })
        for (const op of history) vm.apply(op, ack, new MemoryState())
        await vm.ready()
        for (const rounds of [lo - 1, lo, lo + 1]) {
          const w = vm.apply(opOf(family, size, rounds), ack, new MemoryState())
          const f = fresh(rounds)
          assert.deepEqual(outcome(w), outcome(f), `${family} x${rounds} after ${JSON.stringify(history)}`)
          assert.equal(w.success, rounds <= lo)
        }
        vm.dispose()
      }
    }
    judge.dispose()
  })

  it('counts a canonical run to the same fuel whatever ran before it', async () => {
    const vm = await ContractVM.create(CONTRACT, { limits: { gas: 2000 } })
    const probe = () => vm.applyFresh(opOf('object spread', 1 << 12, 30), ack, new MemoryState()).gas
    const first = probe()
    assert.ok(first > 10, `gas ${first}`)
    vm.applyFresh(opOf('string repeat', 1 << 22, 4), ack, new MemoryState())
    assert.equal(probe(), first, 'after a run that grew the heap')
    vm.applyFresh(opOf('RegExp backtracking', 40), ack, new MemoryState())
    assert.equal(probe(), first, 'after a run that trapped')
    vm.dispose()
  })
})

describe('errors that say what happened', () => {
  it('reports running out of memory inside a Map as a memory error, not "null"', async () => {
    const vm = await ContractVM.create(`export const apply = {
      MAP(tx) { const m = new Map(); for (let i = 0; ; i++) m.set(i, i) },
      WEAK(tx) { const m = new WeakMap(); const keep = []; for (;;) { const k = {}; keep.push(k); m.set(k, keep.length) } },
    }`, { limits: { gas: 80_000 } })
    for (const op of ['MAP', 'WEAK']) {
      const warm = vm.apply({ op }, ack, new MemoryState())
      assert.equal(warm.error, 'memory limit exceeded (67108864 bytes)', op)
      assert.deepEqual(outcome(vm.applyFresh({ op }, ack, new MemoryState())), outcome(warm), op)
    }
    vm.dispose()
  })

  it('cuts a huge error message to a bounded text that says it was cut', async () => {
    const vm = await ContractVM.create(`export const apply = {
      BIG(tx, op) { throw new Error('e'.repeat(op.n)) },
      BIG_STRING(tx, op) { throw 's'.repeat(op.n) },
    }`, { limits: { gas: 80_000 } })
    for (const op of ['BIG', 'BIG_STRING']) {
      const r = vm.apply({ op, n: 50 * 1024 * 1024 }, ack, new MemoryState())
      assert.equal(r.success, false)
      assert.match(r.error ?? '', /^(e|s){1024}… \[error text cut: 52428800 characters\]$/, op)
      const small = vm.apply({ op, n: 10 }, ack, new MemoryState())
      assert.equal(small.error, op === 'BIG' ? 'e'.repeat(10) : 's'.repeat(10))
    }
    vm.dispose()
  })
})
