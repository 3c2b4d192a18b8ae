// Records what a state reader served, so that a witness can cover exactly that.

import type { ListOptions, StateReader } from '../../vm/types.js'
import type { StateAccess } from './prove.js'
import type { RangeQuery } from './range.js'

export interface RecordedAccess extends StateAccess {
  reads: string[]
  lists: RangeQuery[]
}

/** Wraps a reader; `access` collects every get() key and list() query made through `reader`. */
export function recordAccess(inner: StateReader): { reader: StateReader; access: RecordedAccess } {
  const access: RecordedAccess = { reads: [], lists: [] }
  const reader: StateReader = {
    get(key) {
      access.reads.push(key)
      return inner.get(key)
    },
    list(prefix: string, opts: ListOptions = {}) {
      const query: RangeQuery = { prefix }
      if (opts.gt !== undefined) query.gt = opts.gt
      if (opts.lt !== undefined) query.lt = opts.lt
      if (opts.limit !== undefined) query.limit = opts.limit
      if (opts.reverse !== undefined) query.reverse = opts.reverse
      access.lists.push(query)
      return inner.list(prefix, opts)
    },
  }
  return { reader, access }
}
