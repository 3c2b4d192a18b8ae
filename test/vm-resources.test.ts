// Long runs must not leak, and one VM's trouble must not reach another VM or the host.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ContractVM, MemoryState } from '../src/vm/index.js'

const COUNTER = `
import { index } from 'contract'
export async function get() { const e = await index.get('/n'); return e ? e.value : 0 }
export function bump(params, emit) { emit({ op: 'BUMP' }) }
export const apply = { async BUMP(tx) { const e = await tx.get('/n'); tx.put('/n', (e ? e.value : 0) + 1) } }
`

// A real collection before each reading: without one, rss counts whatever garbage V8 has not yet
// collected (tens of megabytes over these runs), and the bound below would measure V8's schedule.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

const ACK = { origin: 'c'.repeat(64), seq: 0, ts: 0, metadata: null }

describe('resources', () => {
  it('keeps memory bounded over 50 000 ops and calls', async () => {
    const vm = await ContractVM.create(COUNTER)
    const state = new MemoryState()
    const ctx = { state, isWriter: true, oplog: { pubkey: 'c'.repeat(64), length: 1 } }
    const round = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const r = vm.apply({ op: 'BUMP' }, ACK, state)
        assert.equal(r.success, true)
        state.apply(r.changes)
        if (i % 10 === 0) vm.call(i % 20 === 0 ? 'get' : 'bump', null, ctx)
      }
    }
    // The warm module's memory grows first (a static module's instance lives across ops): about
    // 32 MiB of rss over the first 10 000 ops here, then flat. Measured from within that rise, the
    // growth came within 1 MiB of the bound; what is measured is the growth after it, where a leak
    // would still show.
    round(35_000)
    collectGarbage()
    const before = process.memoryUsage().rss
    round(15_000)
    collectGarbage()
    const grown = process.memoryUsage().rss - before
    assert.equal(state.get('/n'), 50_000)
    assert.ok(grown < 40 * 1024 * 1024, `rss grew by ${(grown / 1048576).toFixed(1)} MiB over 15 000 ops`)
    vm.dispose()
  })

  it('contains a memory bomb that sidesteps metering within its own VM', async () => {
    const bomb = await ContractVM.create(`
      export const apply = {
        SPREAD(tx) { const base = new Array(1 << 20).fill(1); const keep = []; for (;;) keep.push([...base]) },
        TYPED(tx) { const keep = []; for (;;) keep.push(new Uint8Array(1 << 20)) },
        OK(tx) { tx.put('/ok', true) },
      }
    `, { limits: { gas: 40_000 } })
    const other = await ContractVM.create(COUNTER)
    const state = new MemoryState()
    for (const op of ['SPREAD', 'TYPED']) {
      const r = bomb.apply({ op }, ACK, state)
      assert.equal(r.success, false)
      assert.match(r.error ?? '', /^memory limit exceeded/)
      assert.equal(other.apply({ op: 'BUMP' }, ACK, state).success, true)
    }
    assert.equal(bomb.apply({ op: 'OK' }, ACK, state).success, true)
    assert.ok(process.memoryUsage().rss < 1.5 * 1024 * 1024 * 1024, 'the host stayed within bounds')
    bomb.dispose()
    other.dispose()
  })

  it('survives many VMs hitting limits one after another', async () => {
    for (let i = 0; i < 3; i++) {
      const vm = await ContractVM.create(`
        export const apply = {
          async OOM() { await null; const a = []; for (;;) a.push({ i: a.length }) },
          async JOBS() { const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {}) },
          FINE(tx) { tx.put('/fine', 1) },
        }
      `)
      assert.match(vm.apply({ op: 'OOM' }, ACK, new MemoryState()).error ?? '', /memory limit exceeded|gas limit exceeded/)
      assert.match(vm.apply({ op: 'JOBS' }, ACK, new MemoryState()).error ?? '', /gas limit exceeded/)
      assert.equal(vm.apply({ op: 'FINE' }, ACK, new MemoryState()).success, true)
      vm.dispose()
    }
  })
})
