// The counter (counter.js) in TypeScript, typed with types/contract.d.ts. `glassbox init` bundles
// a .ts contract with esbuild, which strips the types: the index log stores the JavaScript that
// runs (`glassbox source` shows it). Type-check it with `npx tsc -p examples` (examples/tsconfig.json).

import assert from 'assert'
import { index, type ApplyHandlers, type Emit } from 'contract'

const COUNT = '/count'

type CounterOp = { op: 'INCREMENT'; by: number } | { op: 'RESET' }

export function get(): number {
  return index.get<number>(COUNT)?.value ?? 0
}

export function increment(params: { by?: number } | null, emit: Emit<CounterOp>): void {
  emit({ op: 'INCREMENT', by: params?.by ?? 1 })
}

export function reset(_params: null, emit: Emit<CounterOp>): void {
  emit({ op: 'RESET' })
}

export const apply: ApplyHandlers<CounterOp> = {
  INCREMENT(tx, op) {
    // The op's owner can write any op, not only what increment() emits: apply checks it again.
    assert(Number.isSafeInteger(op.by) && op.by > 0, `increment needs a positive whole number, got ${JSON.stringify(op.by)}`)
    tx.put(COUNT, (tx.get<number>(COUNT)?.value ?? 0) + op.by)
  },
  RESET(tx) {
    tx.delete(COUNT)
  },
}
