// Guest code: the `contract` and `util` modules and the `tx` object, thin wrappers over the host
// functions. Every rule that decides an op's outcome (key limits, `.sys/`, overlay reads) is
// enforced by the host; the guest only checks types so that errors name the contract's mistake.

import { INTEROP_MODULE } from '../interop.js'

export const MODULES_SOURCE = String.raw`
// A host function never throws into QuickJS (an error thrown across the boundary is built by the
// host under nobody's gas); it returns a string, null or undefined, or an Error for the guest to throw.
function fromHost(fn) {
  return function (...args) {
    const r = reflectApply(fn, undefined, args)
    if (r !== null && typeof r === 'object') throw r
    return r
  }
}
const hostGet = fromHost(host.get)
const hostList = fromHost(host.list)
const hostPut = fromHost(host.put)
const hostDel = fromHost(host.del)
const hostSys = fromHost(host.sys)
const hostOplogs = fromHost(host.oplogs)
const hostEmit = fromHost(host.emit)
const hostUuid = fromHost(host.uuid)
const hostFail = fromHost(host.fail)
const hostInstanced = fromHost(host.instanced)

// mode: which runner is active; phase: the same, except 'load' while the module body runs.
let mode = 'idle'
let phase = 'idle'
let callIsWriter = false
let callOplog = null

function begin(m) {
  mode = m
  phase = m
  callIsWriter = false
  callOplog = null
}

function checkKey(key, what) {
  if (typeof key !== 'string') throw new TypeError(what + ' must be a string, got ' + describeValue(key))
  if (!reflectApply(strIsWellFormed, key, [])) throw new TypeError(what + ' must be well-formed Unicode (it holds a lone surrogate)')
  return key
}

function needState(what) {
  if (phase === 'load') throw new Error(what + ' is not available while the contract module loads; call it from a function')
  if (mode === 'process') throw new Error(what + ' is not available in process(): state is read in apply()')
}

function readEntry(key) {
  const text = hostGet(key)
  return text === null ? null : { key, value: jsonParse(text) }
}

function listOptions(opts) {
  if (opts === undefined || opts === null) return '{}'
  if (typeof opts !== 'object') throw new TypeError('list options must be an object')
  const out = {}
  const limit = opts.limit
  if (limit !== undefined && limit !== Infinity) {
    if (typeof limit !== 'number' || !(limit >= 0) || limit % 1 !== 0) throw new TypeError('limit must be a non-negative integer, got ' + describeValue(limit))
    out.limit = limit
  }
  if (opts.reverse !== undefined) out.reverse = opts.reverse === true
  if (opts.gt !== undefined) out.gt = checkKey(opts.gt, 'gt')
  if (opts.lt !== undefined) out.lt = checkKey(opts.lt, 'lt')
  return jsonStringify(out)
}

const index = {
  get: function get(key) {
    needState('index.get()')
    return readEntry(checkKey(key, 'key'))
  },
  list: function list(prefix, opts) {
    needState('index.list()')
    return jsonParse(hostList(checkKey(prefix === undefined ? '' : prefix, 'prefix'), listOptions(opts)))
  },
}

const listOplogs = function listOplogs() {
  needState('listOplogs()')
  return jsonParse(hostOplogs())
}

const genUUID = function genUUID() {
  if (phase !== 'call') throw new Error('genUUID() is available only in API calls: apply() and process() must be deterministic')
  return hostUuid()
}

// Module objects are shared and frozen. Their exports sit on a prototype: esbuild's import helper
// copies a module's own properties into a new object on every run, but inherits the prototype.
function moduleObject(api) {
  const m = Object.create(api)
  defineProperty(m, '__esModule', { value: true })
  defineProperty(m, 'default', { value: api, enumerable: true })
  return m
}

const contractApi = { index, listOplogs }
defineProperty(contractApi, 'oplog', { get: function () { return callOplog }, enumerable: true })
defineProperty(contractApi, 'isWriter', { get: function () { return callIsWriter }, enumerable: true })
const contractModule = moduleObject(contractApi)
const utilModule = moduleObject({ genUUID })

// esbuild's CommonJS interop, for the factory (compile.ts takes the factory's own copies out): the
// same meaning, without a getter defined per export and copied again, on every run. An export is
// read through the table of getters the module gave __export, when it is asked for.
const exportTables = new WeakMap()
const weakMapGet = WeakMap.prototype.get
const weakMapSet = WeakMap.prototype.set
const interopModule = {
  __export: function __export(target, all) {
    reflectApply(weakMapSet, exportTables, [target, all])
  },
  __toCommonJS: function __toCommonJS(mod) {
    return mod
  },
  // Every module require gives is an ES module object: a fresh object with the module's own
  // properties, read-only, inheriting its exports, as esbuild's helper makes it.
  __toESM: function __toESM(mod) {
    const target = Object.create(getPrototypeOf(mod))
    for (const key of ownKeys(mod)) {
      defineProperty(target, key, { value: mod[key], enumerable: getOwnPropertyDescriptor(mod, key).enumerable, writable: false })
    }
    return target
  },
}

const require = function require(name) {
  if (name === 'contract') return contractModule
  if (name === 'assert') return assertModule
  if (name === 'util') return utilModule
  if (name === '${INTEROP_MODULE}') return interopModule
  throw new Error('the contract imports ' + jsonStringify(String(name)) + ', which does not exist (only contract, assert and util do)')
}

// A fresh module scope for every run: whatever the module body keeps at top level starts over.
// A static module (static-module.ts) is the exception: its body runs none of the contract's code,
// so it is evaluated once per sandbox and everything its top level holds is frozen, which leaves
// an op nothing to change that the next op could see.
let staticInstance = null
function instantiate() {
  if (staticInstance !== null) return staticInstance
  const module = { exports: {} }
  phase = 'load'
  const values = factory(require, module)
  phase = mode
  const table = module.exports !== null && typeof module.exports === 'object' ? reflectApply(weakMapGet, exportTables, [module.exports]) : undefined
  const instance = { table, plain: module.exports }
  if (!isStatic) return instance
  freezeReachable([module, values])
  staticInstance = instance
  hostInstanced()
  return instance
}

/** The names a module exports (in the order esbuild lists them). */
function exportedNames(exp) {
  return objectKeys(exp.table === undefined ? exp.plain : exp.table)
}

/** One export of a module, read when asked for; undefined when it has none by that name. */
function exported(exp, name) {
  if (exp.table === undefined) return exp.plain[name]
  return reflectApply(hasOwn, exp.table, [name]) ? exp.table[name]() : undefined
}

// A mutation that is refused fails the whole op, even if the contract catches the error.
function mutation(name, fn) {
  const f = function (...args) {
    try {
      reflectApply(fn, undefined, args)
    } catch (e) {
      hostFail(errorKind(e), errorText(e))
    }
  }
  defineProperty(f, 'name', { value: name })
  return f
}

function pubkeyOf(arg) {
  const pubkey = arg !== null && typeof arg === 'object' ? arg.pubkey : arg
  if (typeof pubkey !== 'string') throw new TypeError('pubkey must be a string of 64 lowercase hex characters, got ' + describeValue(pubkey))
  return pubkey
}

const txDelete = mutation('delete', (key) => { hostDel(checkKey(key, 'key')) })
const tx = {
  get: function get(key) { return readEntry(checkKey(key, 'key')) },
  put: mutation('put', (key, value) => {
    checkKey(key, 'key')
    hostPut(key, toJsonText(value, 'the value of ' + key))
  }),
  delete: txDelete,
  del: txDelete,
  addOplog: mutation('addOplog', (arg) => { hostSys('add', pubkeyOf(arg)) }),
  removeOplog: mutation('removeOplog', (arg) => { hostSys('remove', pubkeyOf(arg)) }),
  setContractSource: mutation('setContractSource', (arg) => {
    const code = arg !== null && typeof arg === 'object' ? arg.code : arg
    if (typeof code !== 'string') throw new TypeError('setContractSource needs { code: string }, got ' + describeValue(code))
    hostSys('source', code)
  }),
}

const emit = mutation('emit', (op) => { hostEmit(toJsonText(op, 'the emitted op')) })
`
