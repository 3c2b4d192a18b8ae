// Guest code (runs inside QuickJS, once per context, before any contract code): takes away every
// source of non-determinism and every way to create code at run time, then offers `lockdown` to
// freeze the realm so that nothing one op does can be seen by the next.

export const HARDEN_SOURCE = String.raw`
const freeze = Object.freeze
const defineProperty = Object.defineProperty
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor
const getPrototypeOf = Object.getPrototypeOf
const objectKeys = Object.keys
const ownKeys = Reflect.ownKeys
const reflectApply = Reflect.apply
const reflectConstruct = Reflect.construct
const isArray = Array.isArray
const hasOwn = Object.prototype.hasOwnProperty
const ObjectProto = Object.prototype
const jsonParse = JSON.parse
const jsonStringify = JSON.stringify
const strIsWellFormed = String.prototype.isWellFormed
const promiseResolve = (v) => Promise.resolve(v)
const promiseThen = Promise.prototype.then
const NativeDate = Date
const NativeInternalError = InternalError
const NativeSyntaxError = SyntaxError

function forbidden(name, why) {
  const f = function () { throw new TypeError(name + ' is not available in contracts: ' + why) }
  defineProperty(f, 'name', { value: name })
  return f
}

// Code creation at run time: the Function constructors are reachable from every function through
// .constructor, so each one is replaced where it is referenced, keeping instanceof working.
{
  const samples = [
    ['Function', function () {}],
    ['AsyncFunction', async function () {}],
    ['GeneratorFunction', function* () {}],
    ['AsyncGeneratorFunction', async function* () {}],
  ]
  for (const [name, sample] of samples) {
    const proto = getPrototypeOf(sample)
    const stub = forbidden(name, 'code cannot be created at run time')
    defineProperty(stub, 'prototype', { value: proto, writable: false, enumerable: false, configurable: false })
    defineProperty(proto, 'constructor', { value: stub, writable: false, enumerable: false, configurable: true })
    if (name === 'Function') defineProperty(globalThis, 'Function', { value: stub, writable: true, enumerable: false, configurable: true })
  }
}
delete globalThis.eval
// RegExp.prototype.compile rewrites a regexp in place, even a frozen one (a static module's).
delete RegExp.prototype.compile
// Garbage collection timing differs between a warm and a fresh VM, so it must not be observable.
delete globalThis.WeakRef
delete globalThis.FinalizationRegistry

defineProperty(Math, 'random', { value: forbidden('Math.random', 'it is not deterministic'), writable: true, configurable: true })

// Dates: no clock, and no local time zone. QuickJS asks the host for the zone offset, so every
// local-time method would differ between an executor and a monitor in different zones; they are
// all answered in UTC instead.
{
  const P = NativeDate.prototype
  const getTime = P.getTime
  const nativeParse = NativeDate.parse
  const nativeUTC = NativeDate.UTC
  const same = ['FullYear', 'Month', 'Date', 'Hours', 'Minutes', 'Seconds', 'Milliseconds']
  for (const unit of same) {
    defineProperty(P, 'get' + unit, { value: P['getUTC' + unit], writable: true, configurable: true })
    defineProperty(P, 'set' + unit, { value: P['setUTC' + unit], writable: true, configurable: true })
  }
  defineProperty(P, 'getDay', { value: P.getUTCDay, writable: true, configurable: true })
  const method = (name, fn) => {
    defineProperty(fn, 'name', { value: name })
    defineProperty(P, name, { value: fn, writable: true, configurable: true })
  }
  method('getTimezoneOffset', function () { const t = reflectApply(getTime, this, []); return t === t ? 0 : NaN })
  method('getYear', function () { return reflectApply(P.getUTCFullYear, this, []) - 1900 })
  delete P.setYear
  const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const pad = (n, w) => { let s = '' + n; while (s.length < w) s = '0' + s; return s }
  const year = (y) => (y < 0 ? '-' + pad(-y, 4) : pad(y, 4))
  const parts = (d) => {
    const t = reflectApply(getTime, d, [])
    if (t !== t) return null
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), wd: d.getUTCDay(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() }
  }
  const dateString = (p) => DAYS[p.wd] + ' ' + MONTHS[p.mo] + ' ' + pad(p.d, 2) + ' ' + year(p.y)
  const timeString = (p) => pad(p.h, 2) + ':' + pad(p.mi, 2) + ':' + pad(p.s, 2) + ' GMT+0000'
  const localeDate = (p) => pad(p.mo + 1, 2) + '/' + pad(p.d, 2) + '/' + year(p.y)
  const localeTime = (p) => pad(((p.h + 11) % 12) + 1, 2) + ':' + pad(p.mi, 2) + ':' + pad(p.s, 2) + (p.h < 12 ? ' AM' : ' PM')
  const formatter = (name, f) => method(name, function () { const p = parts(this); return p === null ? 'Invalid Date' : f(p) })
  formatter('toString', (p) => dateString(p) + ' ' + timeString(p))
  formatter('toDateString', dateString)
  formatter('toTimeString', timeString)
  formatter('toLocaleString', (p) => localeDate(p) + ', ' + localeTime(p))
  formatter('toLocaleDateString', localeDate)
  formatter('toLocaleTimeString', localeTime)

  // ISO text without an offset means local time for date-times; other formats are read only when
  // they name their zone, because QuickJS would otherwise read them in the host's zone.
  const ISO = /^(?:[+-]\d{6}|\d{4})(?:-\d{2}(?:-\d{2})?)?(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/
  const ZONED = /(?:\b(?:GMT|UTC|UT|Z|[ECMP][SD]T)|[+-]\d{2}:?\d{2})(?:\s*\([^)]*\))?\s*$/
  const parseUTC = function parse(text) {
    const s = '' + text
    const m = ISO.exec(s)
    if (m !== null) return nativeParse(m[1] !== undefined && m[2] === undefined ? s + 'Z' : s)
    return ZONED.test(s) ? nativeParse(s) : NaN
  }
  const toPrimitive = (v) => {
    const exotic = v[Symbol.toPrimitive]
    if (exotic !== undefined && exotic !== null) {
      const r = reflectApply(exotic, v, ['default'])
      if ((typeof r !== 'object' || r === null) && typeof r !== 'function') return r
      throw new TypeError('Cannot convert object to primitive value')
    }
    for (const name of ['valueOf', 'toString']) {
      const f = v[name]
      if (typeof f === 'function') {
        const r = reflectApply(f, v, [])
        if ((typeof r !== 'object' || r === null) && typeof r !== 'function') return r
      }
    }
    throw new TypeError('Cannot convert object to primitive value')
  }
  const isDate = (v) => { try { reflectApply(getTime, v, []); return true } catch (e) { return false } }
  const SafeDate = function Date(...args) {
    if (new.target === undefined) throw new TypeError('Date() reads the clock, which contracts may not do')
    if (args.length === 0) throw new TypeError('new Date() reads the clock, which contracts may not do; pass a timestamp')
    let t
    if (args.length === 1) {
      let v = args[0]
      if ((typeof v === 'object' && v !== null) || typeof v === 'function') v = isDate(v) ? reflectApply(getTime, v, []) : toPrimitive(v)
      t = typeof v === 'string' ? parseUTC(v) : +v
    } else {
      t = reflectApply(nativeUTC, undefined, args)
    }
    return reflectConstruct(NativeDate, [t], new.target)
  }
  defineProperty(SafeDate, 'length', { value: 7 })
  defineProperty(SafeDate, 'prototype', { value: P, writable: false, enumerable: false, configurable: false })
  defineProperty(SafeDate, 'UTC', { value: nativeUTC, writable: true, configurable: true })
  defineProperty(SafeDate, 'parse', { value: parseUTC, writable: true, configurable: true })
  defineProperty(SafeDate, 'now', { value: forbidden('Date.now', 'it reads the clock'), writable: true, configurable: true })
  defineProperty(P, 'constructor', { value: SafeDate, writable: true, configurable: true })
  defineProperty(globalThis, 'Date', { value: SafeDate, writable: true, enumerable: false, configurable: true })
}

// Built-ins need no wrapping for gas: the work they do in native code is metered where it
// happens, in the QuickJS module's own loops (fuel/instrument.ts).

// Logging is allowed and goes nowhere: a contract's output must not depend on who watches it.
{
  const noop = function () {}
  const console = {}
  for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[name] = noop
  defineProperty(globalThis, 'console', { value: console, writable: true, enumerable: false, configurable: true })
}

// Freezing turns assignments such as this.name = ... in an Error subclass into TypeErrors (the
// "override mistake"); these accessors let such assignments create an own property instead.
function allowOverride(obj, names) {
  for (const name of names) {
    const desc = getOwnPropertyDescriptor(obj, name)
    if (desc === undefined || !('value' in desc)) continue
    const value = desc.value
    defineProperty(obj, name, {
      get: function () { return value },
      set: function (v) {
        if (this === obj) throw new TypeError('Cannot assign to read only property ' + String(name))
        if (reflectApply(hasOwn, this, [name])) this[name] = v
        else defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true })
      },
      enumerable: desc.enumerable,
      configurable: false,
    })
  }
}

function lockdown(roots) {
  allowOverride(ObjectProto, ['constructor', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable'])
  allowOverride(Array.prototype, ['constructor', 'toString', 'join', 'push'])
  allowOverride(Function.prototype, ['toString'])
  allowOverride(Promise.prototype, ['constructor', 'then', 'catch', 'finally'])
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, InternalError, AggregateError]) {
    allowOverride(E.prototype, ['constructor', 'name', 'message', 'toString'])
  }
  const hidden = [
    getPrototypeOf(function* () {}), getPrototypeOf(async function () {}), getPrototypeOf(async function* () {}),
    getPrototypeOf((function* () {})()), getPrototypeOf((async function* () {})()),
    getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map().entries()), getPrototypeOf(new Set().values()),
    getPrototypeOf(''[Symbol.iterator]()), getPrototypeOf(/a/[Symbol.matchAll]('')),
    getPrototypeOf(Int8Array), getOwnPropertyDescriptor(Function.prototype, 'caller'),
    (function () { return arguments })(),
  ]
  try { hidden.push(getPrototypeOf([].values().map((x) => x))) } catch (e) {}
  try { hidden.push(getPrototypeOf(Iterator.from({ next() { return { done: true } } }))) } catch (e) {}
  freezeFrom([globalThis, ...hidden, ...roots], realm)
}

/** Everything lockdown froze: freezeReachable stops there instead of walking the realm again. */
const realm = new WeakSet()
const weakSetHas = WeakSet.prototype.has
const weakSetAdd = WeakSet.prototype.add

/** Freezes every object reachable from roots through properties, accessors and prototypes. */
function freezeReachable(roots) {
  freezeFrom(roots, new WeakSet())
}

function freezeFrom(queue, seen) {
  while (queue.length > 0) {
    const o = queue.pop()
    if (((typeof o !== 'object' || o === null) && typeof o !== 'function') || reflectApply(weakSetHas, seen, [o]) || reflectApply(weakSetHas, realm, [o])) continue
    reflectApply(weakSetAdd, seen, [o])
    freeze(o)
    queue.push(getPrototypeOf(o))
    for (const key of ownKeys(o)) {
      const desc = getOwnPropertyDescriptor(o, key)
      if ('value' in desc) queue.push(desc.value)
      else queue.push(desc.get, desc.set)
    }
  }
}
`
