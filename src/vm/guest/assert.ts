// Guest code: the `assert` module, with node's semantics (loose equal/deepEqual, strict variants)
// and its messages, so that a failed assertion explains itself in the op's error.

export const ASSERT_SOURCE = String.raw`
class AssertionError extends Error {
  constructor(options) {
    super(options.message)
    defineProperty(this, 'code', { value: 'ERR_ASSERTION', writable: true, enumerable: true, configurable: true })
    defineProperty(this, 'actual', { value: options.actual, writable: true, enumerable: true, configurable: true })
    defineProperty(this, 'expected', { value: options.expected, writable: true, enumerable: true, configurable: true })
    defineProperty(this, 'operator', { value: options.operator, writable: true, enumerable: true, configurable: true })
    defineProperty(this, 'generatedMessage', { value: options.generated, writable: true, enumerable: true, configurable: true })
  }
}
defineProperty(AssertionError.prototype, 'name', { value: 'AssertionError', writable: true, configurable: true })

function inspect(v) {
  if (typeof v === 'string') return jsonStringify(v)
  if (typeof v === 'function') return '[Function: ' + (v.name || 'anonymous') + ']'
  if (typeof v === 'bigint') return String(v) + 'n'
  if (typeof v === 'symbol') return v.toString()
  if (v === undefined || v === null || typeof v !== 'object') return String(v)
  try {
    const text = jsonStringify(v)
    return text === undefined ? String(v) : text
  } catch (e) {
    return '[object]'
  }
}

function raise(message, actual, expected, operator, generated) {
  if (message instanceof Error) throw message
  const given = message !== undefined
  throw new AssertionError({ message: given ? String(message) : generated, actual, expected, operator, generated: !given })
}

function looseEqual(a, b) {
  return a == b || (a !== a && b !== b)
}

function deepEq(a, b, strict, memo) {
  if (strict ? Object.is(a, b) : looseEqual(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false
  }
  if (strict && getPrototypeOf(a) !== getPrototypeOf(b)) return false
  if (isArray(a) !== isArray(b)) return false
  for (const [x, y] of memo) if (x === a && y === b) return true
  memo.push([a, b])
  try {
    if (a instanceof NativeDate || b instanceof NativeDate) {
      if (!(a instanceof NativeDate && b instanceof NativeDate) || a.getTime() !== b.getTime()) return false
    }
    if (a instanceof RegExp || b instanceof RegExp) {
      if (!(a instanceof RegExp && b instanceof RegExp) || a.source !== b.source || a.flags !== b.flags) return false
    }
    if (a instanceof Map || b instanceof Map) {
      if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false
      for (const [k, v] of a) if (!b.has(k) || !deepEq(v, b.get(k), strict, memo)) return false
    }
    if (a instanceof Set || b instanceof Set) {
      if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false
      for (const v of a) {
        if (b.has(v)) continue
        let found = false
        for (const w of b) if (deepEq(v, w, strict, memo)) { found = true; break }
        if (!found) return false
      }
    }
    const ka = objectKeys(a)
    const kb = objectKeys(b)
    if (ka.length !== kb.length) return false
    for (const k of ka) {
      if (!reflectApply(hasOwn, b, [k]) || !deepEq(a[k], b[k], strict, memo)) return false
    }
    return true
  } finally {
    memo.pop()
  }
}

const assertOk = function ok(...args) {
  if (args.length === 0) raise(undefined, undefined, true, '==', 'No value argument passed to assert.ok()')
  if (!args[0]) raise(args[1], args[0], true, '==', 'The expression evaluated to a falsy value: ' + inspect(args[0]))
}
const assertFns = {
  ok: assertOk,
  equal(actual, expected, message) {
    if (!looseEqual(actual, expected)) raise(message, actual, expected, '==', inspect(actual) + ' == ' + inspect(expected))
  },
  notEqual(actual, expected, message) {
    if (looseEqual(actual, expected)) raise(message, actual, expected, '!=', inspect(actual) + ' != ' + inspect(expected))
  },
  strictEqual(actual, expected, message) {
    if (!Object.is(actual, expected)) raise(message, actual, expected, 'strictEqual', 'Expected values to be strictly equal: ' + inspect(actual) + ' !== ' + inspect(expected))
  },
  notStrictEqual(actual, expected, message) {
    if (Object.is(actual, expected)) raise(message, actual, expected, 'notStrictEqual', 'Expected "actual" to be strictly unequal to: ' + inspect(expected))
  },
  deepEqual(actual, expected, message) {
    if (!deepEq(actual, expected, false, [])) raise(message, actual, expected, 'deepEqual', 'Expected values to be loosely deep-equal: ' + inspect(actual) + ' should loosely deep-equal ' + inspect(expected))
  },
  notDeepEqual(actual, expected, message) {
    if (deepEq(actual, expected, false, [])) raise(message, actual, expected, 'notDeepEqual', 'Expected "actual" not to be loosely deep-equal to: ' + inspect(expected))
  },
  deepStrictEqual(actual, expected, message) {
    if (!deepEq(actual, expected, true, [])) raise(message, actual, expected, 'deepStrictEqual', 'Expected values to be strictly deep-equal: ' + inspect(actual) + ' should equal ' + inspect(expected))
  },
  notDeepStrictEqual(actual, expected, message) {
    if (deepEq(actual, expected, true, [])) raise(message, actual, expected, 'notDeepStrictEqual', 'Expected "actual" not to be strictly deep-equal to: ' + inspect(expected))
  },
  match(string, regexp, message) {
    if (!(regexp instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp')
    if (typeof string !== 'string' || !regexp.test(string)) {
      raise(message, string, regexp, 'match', typeof string !== 'string'
        ? 'The "string" argument must be of type string. Received ' + inspect(string)
        : 'The input did not match the regular expression ' + String(regexp) + '. Input: ' + inspect(string))
    }
  },
  doesNotMatch(string, regexp, message) {
    if (!(regexp instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp')
    if (typeof string !== 'string' || regexp.test(string)) {
      raise(message, string, regexp, 'doesNotMatch', typeof string !== 'string'
        ? 'The "string" argument must be of type string. Received ' + inspect(string)
        : 'The input was expected to not match the regular expression ' + String(regexp) + '. Input: ' + inspect(string))
    }
  },
  fail(message) {
    raise(message === undefined ? 'Failed' : message, undefined, undefined, 'fail', 'Failed')
  },
}
const assertFn = function assert(...args) { return reflectApply(assertOk, undefined, args) }
for (const name of objectKeys(assertFns)) defineProperty(assertFn, name, { value: assertFns[name], enumerable: true })
defineProperty(assertFn, 'AssertionError', { value: AssertionError, enumerable: true })
const assertApi = { AssertionError }
for (const name of objectKeys(assertFns)) assertApi[name] = assertFns[name]
const assertModule = Object.create(assertApi)
defineProperty(assertModule, '__esModule', { value: true })
defineProperty(assertModule, 'default', { value: assertFn, enumerable: true })
`
