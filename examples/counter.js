// Counter: the smallest useful contract, one number at `/count`.
//
// It shows the split every contract has. API functions (`get`, `increment`) run on the caller's
// machine: they read state and emit ops into the caller's oplog. `apply` runs on the executor (and
// on every monitor that replays the logs) and alone decides what an op changes. An oplog's owner
// can write any op without going through `increment()`, so the rule that `by` is a positive whole
// number lives in `apply`, not in the API function.

import assert from 'assert'
import { index } from 'contract'

const COUNT = '/count'

export async function get() {
  const entry = await index.get(COUNT)
  return entry ? entry.value : 0
}

export function increment(params, emit) {
  const by = params && params.by !== undefined ? params.by : 1
  emit({ op: 'INCREMENT', by })
}

export const apply = {
  async INCREMENT(tx, op) {
    assert(Number.isSafeInteger(op.by) && op.by > 0, `increment needs a positive whole number, got ${JSON.stringify(op.by)}`)
    const entry = await tx.get(COUNT)
    tx.put(COUNT, (entry ? entry.value : 0) + op.by)
  },
}
