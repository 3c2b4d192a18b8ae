// Guest code: values leave the sandbox only as JSON text made here, strictly. JSON.stringify would
// quietly drop functions and undefined or turn NaN into null; a contract that stores such a value
// has a bug, and the op should fail rather than store something else.

import { MAX_JSON_DEPTH } from '../limits.js'

export const JSON_SOURCE = String.raw`
const MAX_JSON_DEPTH = ${MAX_JSON_DEPTH}

function describeValue(v) {
  if (v === undefined) return 'undefined'
  if (typeof v === 'function') return 'a function'
  if (typeof v === 'number') return String(v)
  if (typeof v === 'object') return 'a ' + (v.constructor && typeof v.constructor.name === 'string' ? v.constructor.name : 'non-plain') + ' object'
  return 'a ' + typeof v
}

function toJsonText(value, what) {
  // Most stored values are a number or a short string: no bookkeeping for those.
  if (typeof value === 'string') return jsonStringify(value)
  if (typeof value === 'number' && value - value === 0) return jsonStringify(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (value === null) return 'null'
  const path = []
  const open = []
  const fail = (v) => { throw new TypeError(what + ' is not JSON: ' + (path.length ? 'at ' + path.join('') + ' it' : 'it') + ' is ' + describeValue(v)) }
  const encode = (v) => {
    switch (typeof v) {
      case 'string': return jsonStringify(v)
      case 'boolean': return v ? 'true' : 'false'
      case 'number':
        if (v !== v || v === Infinity || v === -Infinity) fail(v)
        return jsonStringify(v)
      case 'object': {
        if (v === null) return 'null'
        if (open.length >= MAX_JSON_DEPTH) throw new TypeError(what + ' nests deeper than ' + MAX_JSON_DEPTH + ' levels')
        if (open.includes(v)) throw new TypeError(what + ' is not JSON: it contains a cycle at ' + path.join(''))
        open.push(v)
        const parts = []
        if (isArray(v)) {
          const n = v.length
          for (let i = 0; i < n; i++) {
            path.push('[' + i + ']')
            if (!(i in v)) fail(undefined)
            parts.push(encode(v[i]))
            path.pop()
          }
          open.pop()
          return '[' + parts.join(',') + ']'
        }
        const proto = getPrototypeOf(v)
        if (proto !== ObjectProto && proto !== null) fail(v)
        for (const key of objectKeys(v)) {
          path.push('.' + key)
          parts.push(jsonStringify(key) + ':' + encode(v[key]))
          path.pop()
        }
        open.pop()
        return '{' + parts.join(',') + '}'
      }
      default:
        return fail(v)
    }
  }
  return encode(value)
}

function errorText(e) {
  try {
    if (e !== null && typeof e === 'object') {
      const message = e.message
      if (typeof message === 'string' && message !== '') return capText(message)
      const name = e.name
      if (typeof name === 'string' && name !== '') return capText(name)
    }
    return capText(String(e))
  } catch (err) {
    return 'a value was thrown that cannot be turned into a string'
  }
}

// 2 marks errors that may come from a limit (out of memory, stack overflow): the host re-runs
// the op in a fresh VM before believing them.
// Error texts are recorded in acks forever: a long one is cut here, before it is copied out.
function capText(text) {
  if (text.length <= 1024) return text
  return text.slice(0, 1024) + '… [error text cut: ' + text.length + ' characters]'
}

function errorKind(e) {
  try {
    if (e instanceof NativeInternalError) return 2
    if (e instanceof NativeSyntaxError && e.message === 'stack overflow') return 2
  } catch (err) {}
  return 1
}
`
