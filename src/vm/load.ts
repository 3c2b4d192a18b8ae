// Loading a contract: compile it, evaluate its module once in a new sandbox, and check its exports.
// The same check runs for ContractVM.create, validateSource and setContractSource inside apply,
// always in a new sandbox, so its verdict does not depend on what ran before.

import { ContractError } from '../errors.js'
import { compileContractChecked, type CompiledContract } from './compile.js'
import type { SandboxPlace } from './module-host.js'
import { Sandbox } from './sandbox.js'
import { Session } from './session.js'
import type { Limits } from './types.js'

export interface ContractShape {
  /** Exported functions other than apply, process and authorize, sorted. */
  methods: string[]
  hasProcess: boolean
  /** The contract exports authorize(query, identity): which signed queries it answers. */
  hasAuthorize: boolean
}

export interface LoadedContract {
  factory: string
  /** Why the module is evaluated for every op, or null when it is static (evaluated once, frozen). */
  notStatic: string | null
  shape: ContractShape
  /** The sandbox the module was evaluated in, ready for ops. */
  sandbox: Sandbox
}

/** `compiled`: what compileContractChecked(source) gave before (compile-cache.ts), if known. */
export function loadContract(source: string, limits: Limits, place: SandboxPlace, compiled?: CompiledContract): LoadedContract {
  const { factory, notStatic } = compiled ?? compileContractChecked(source, limits.maxSourceBytes)
  return { factory, notStatic, ...loadFactory(factory, limits, place) }
}

export function loadFactory(factory: string, limits: Limits, place: SandboxPlace): { shape: ContractShape; sandbox: Sandbox } {
  const sandbox = Sandbox.create(factory, limits, place)
  try {
    const outcome = sandbox.run(new Session('load', limits, null), 'describe', [])
    if (!outcome.ok) throw new ContractError('CONTRACT_INVALID', `the contract module failed to load: ${outcome.text}`)
    const shape = checkShape(JSON.parse(outcome.text) as { methods: string[]; apply: string; process: string; authorize: string })
    return { shape, sandbox }
  } catch (err) {
    sandbox.dispose()
    throw err
  }
}

function checkShape(d: { methods: string[]; apply: string; process: string; authorize: string }): ContractShape {
  if (d.apply === 'missing') {
    throw new ContractError('CONTRACT_INVALID', 'the contract must export apply: a function, or an object of functions keyed by op name')
  }
  if (d.apply === 'invalid') {
    throw new ContractError('CONTRACT_INVALID', 'apply must be a function, or a non-empty object whose values are all functions')
  }
  if (d.process !== 'undefined' && d.process !== 'function') {
    throw new ContractError('CONTRACT_INVALID', `process must be a function, got ${d.process}`)
  }
  if (d.authorize !== 'undefined' && d.authorize !== 'function') {
    throw new ContractError('CONTRACT_INVALID', `authorize must be a function, got ${d.authorize}`)
  }
  return { methods: d.methods, hasProcess: d.process === 'function', hasAuthorize: d.authorize === 'function' }
}

/** Why a contract source set inside apply cannot be loaded, or null when it can. */
export function newSourceProblem(factory: string, limits: Limits, place: SandboxPlace): string | null {
  try {
    loadFactory(factory, limits, place).sandbox.dispose()
    return null
  } catch (err) {
    if (err instanceof ContractError) return err.message
    throw err
  }
}
