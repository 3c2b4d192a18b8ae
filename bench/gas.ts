// `BENCH=gas`: does gas bound work? Each family of built-ins whose cost grows with its input runs a
// hostile loop (test/fixtures/hostile-builtins.ts) at the default gas limit, through ContractVM.apply
// as the executor calls it (a warm run cut at half the gas, then the canonical run). Printed per
// family: the gas charged, the wall time of the op, and gas per ms; a plain interpreted loop, run
// first, is the baseline. Goals: the worst op under 1 s, and gas per ms within 20x across families.

import { ContractVM, DEFAULT_LIMITS, MemoryState } from '../src/vm/index.js'
import { HOSTILE_FAMILIES, hostileContract, type HostileFamily } from '../test/fixtures/hostile-builtins.js'

const BASELINE: HostileFamily = { family: 'plain loop (baseline)', setup: 'let x = 0', step: 'x = (x * 31 + r) % 1000003', small: 1, large: 1 }
const ack = { origin: 'b'.repeat(64), seq: 0, ts: 1_700_000_000_000, metadata: null }

export async function runGasBench(): Promise<void> {
  const families = [BASELINE, ...HOSTILE_FAMILIES]
  const vm = await ContractVM.create(hostileContract(families))
  const rows: { family: string; gas: number; ms: number; error: string | null }[] = []
  for (const [i, f] of families.entries()) {
    process.stderr.write(`bench: gas, ${f.family}…\n`)
    await vm.ready()
    // Best of three: the machine's other work only ever adds time.
    let best = Infinity
    let result = vm.apply({ op: `F${i}`, n: f.large }, ack, new MemoryState())
    for (let rep = 0; rep < 3; rep++) {
      const start = performance.now()
      result = vm.apply({ op: `F${i}`, n: f.large }, ack, new MemoryState())
      best = Math.min(best, performance.now() - start)
    }
    rows.push({ family: f.family, gas: result.gas, ms: best, error: result.error })
  }
  vm.dispose()
  const rate = (r: (typeof rows)[number]) => r.gas / r.ms
  const base = rate(rows[0])
  console.log(`gas: hostile loops at the default limit (${DEFAULT_LIMITS.gas} gas), one op each through ContractVM.apply (warm run, then canonical)`)
  console.log('                family     gas     ms/op   gas/ms   vs baseline   outcome')
  for (const r of rows) {
    console.log(
      `${r.family.padStart(22)} ${String(r.gas).padStart(7)} ${r.ms.toFixed(0).padStart(9)} ${rate(r).toFixed(2).padStart(8)} ${(rate(r) / base).toFixed(2).padStart(13)}   ${r.error ?? 'ok'}`,
    )
  }
  // A plain loop is an attack too: the worst op and the spread count it.
  const worst = rows.reduce((a, b) => (b.ms > a.ms ? b : a))
  const rates = rows.map(rate)
  console.log(`worst op: ${worst.family}, ${worst.ms.toFixed(0)} ms (goal < 1000 ms); gas/ms spread across families: ${(Math.max(...rates) / Math.min(...rates)).toFixed(1)}x (goal < 20x)`)
  if (process.argv.includes('--json')) console.log(JSON.stringify({ gas: rows }))
}
