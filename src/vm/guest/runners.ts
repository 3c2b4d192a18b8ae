// Guest code: the entry points the host calls. Each one builds a fresh module instance, runs the
// contract and returns its outcome, or a promise of it that settles while the host drains jobs.

export const RUNNERS_SOURCE = String.raw`
// An outcome is one string: a kind digit (0 ok, 1 error, 2 error that may come from a limit)
// followed by the result's JSON text or the error message.
function failure(e) {
  return errorKind(e) + errorText(e)
}

function finish(value, encode) {
  if (!encode) return '0'
  try {
    return '0' + toJsonText(value === undefined ? null : value, 'the result')
  } catch (e) {
    return failure(e)
  }
}

function settle(result, encode) {
  if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
    return reflectApply(promiseThen, promiseResolve(result), [(v) => finish(v, encode), failure])
  }
  return finish(result, encode)
}

function pickHandler(handlers, op) {
  if (typeof handlers === 'function') return [handlers, undefined]
  if (handlers === null || typeof handlers !== 'object') throw new Error('the contract does not export apply')
  const name = op !== null && typeof op === 'object' && !isArray(op) ? op.op : undefined
  if (typeof name !== 'string') throw new Error("the op has no string field 'op' to choose an apply handler")
  const fn = reflectApply(hasOwn, handlers, [name]) ? handlers[name] : undefined
  if (typeof fn !== 'function') throw new Error('apply has no handler for op ' + jsonStringify(name))
  return [fn, handlers]
}

const runners = {
  apply: function (opText, ackText) {
    begin('apply')
    try {
      const op = jsonParse(opText)
      const a = jsonParse(ackText)
      const ack = { origin: a.origin, seq: a.seq, ts: new NativeDate(a.ts), metadata: a.metadata }
      const [fn, self] = pickHandler(exported(instantiate(), 'apply'), op)
      return settle(reflectApply(fn, self, [tx, op, ack]), false)
    } catch (e) {
      return failure(e)
    }
  },
  call: function (method, paramsText, contextText) {
    begin('call')
    try {
      const context = jsonParse(contextText)
      callIsWriter = context.isWriter === true
      if (context.oplog !== null) {
        const length = context.oplog.length
        callOplog = freeze({ pubkey: context.oplog.pubkey, getLength: function getLength() { return length } })
      }
      const params = jsonParse(paramsText)
      const exports = instantiate()
      const fn = method === 'apply' || method === 'process' || method === 'authorize' ? undefined : exported(exports, method)
      if (typeof fn !== 'function') throw new Error('the contract has no method ' + jsonStringify(method))
      return settle(reflectApply(fn, undefined, [params, emit]), true)
    } catch (e) {
      return failure(e)
    }
  },
  authorize: function (queryText, identity) {
    begin('call')
    try {
      const query = jsonParse(queryText)
      const fn = exported(instantiate(), 'authorize')
      if (typeof fn !== 'function') throw new Error('the contract does not export authorize')
      return settle(reflectApply(fn, undefined, [query, identity]), true)
    } catch (e) {
      return failure(e)
    }
  },
  process: function (opText) {
    begin('process')
    try {
      const op = jsonParse(opText)
      const fn = exported(instantiate(), 'process')
      if (typeof fn !== 'function') throw new Error('the contract does not export process')
      return settle(reflectApply(fn, undefined, [op]), true)
    } catch (e) {
      return failure(e)
    }
  },
  describe: function () {
    begin('load')
    try {
      const exports = instantiate()
      phase = 'load'
      if (exports.plain === null || (typeof exports.plain !== 'object' && typeof exports.plain !== 'function')) throw new Error('the contract has no exports')
      const methods = []
      for (const name of exportedNames(exports)) {
        if (name !== 'apply' && name !== 'process' && name !== 'authorize' && name !== 'default' && typeof exported(exports, name) === 'function') methods.push(name)
      }
      const a = exported(exports, 'apply')
      let applyKind = typeof a === 'function' ? 'function' : a === undefined ? 'missing' : 'invalid'
      if (a !== null && typeof a === 'object') {
        const names = objectKeys(a)
        applyKind = names.length > 0 && names.every((n) => typeof a[n] === 'function') ? 'object' : 'invalid'
      }
      return '0' + jsonStringify({ methods: methods.sort(), apply: applyKind, process: typeof exported(exports, 'process'), authorize: typeof exported(exports, 'authorize') })
    } catch (e) {
      return failure(e)
    }
  },
}
`
