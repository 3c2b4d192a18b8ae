// Turns a contract's ES module source into the text of a factory function, once per VM. esbuild
// rewrites the module to CommonJS form so that its imports become calls to the `require` the
// sandbox passes in and its exports land on `module.exports`: calling the factory again gives a
// fresh module scope at the cost of a function call instead of a new context.

import type { TransformFailure } from 'esbuild'
import { ContractError } from '../errors.js'
import { utf8Bytes } from './keys.js'
import { withGuestInterop } from './interop.js'
import { checkStaticModule } from './static-module.js'
import { CONTRACT_FILENAME } from './transform-options.js'
import { transformContract } from './transform.js'

export { CONTRACT_FILENAME }

export interface CompiledContract {
  factory: string
  /** Why the module is evaluated for every op (static-module.ts), or null when it is static. */
  notStatic: string | null
}

export function compileContract(source: string, maxSourceBytes: number): string {
  return compileContractChecked(source, maxSourceBytes).factory
}

/** compileContract, saying also whether the module is static, and if not why. */
export function compileContractChecked(source: string, maxSourceBytes: number): CompiledContract {
  if (typeof source !== 'string') {
    throw new ContractError('CONTRACT_INVALID', `contract source must be a string, got ${typeof source}`)
  }
  const bytes = utf8Bytes(source)
  if (bytes > maxSourceBytes) {
    throw new ContractError(
      'CONTRACT_TOO_LARGE',
      `contract source is ${bytes} bytes, over the ${maxSourceBytes}-byte limit (maxSourceBytes)`,
    )
  }
  let code: string
  try {
    code = transformContract(source)
  } catch (err) {
    throw new ContractError('CONTRACT_INVALID', `contract source does not compile: ${describeFailure(err)}`, { cause: err })
  }
  const body = withGuestInterop(code)
  // A static module's factory also returns its top-level values, for the guest to freeze; the
  // header says which kind it is, and only this function writes it.
  const check = checkStaticModule(body)
  if ('notStatic' in check) return { factory: `${FACTORY_HEADER}\n${body}\n})`, notStatic: check.notStatic }
  return { factory: `${STATIC_FACTORY_HEADER}\n${body}\n;return [${check.names.join(', ')}];\n})`, notStatic: null }
}

// `exports` is deliberately not a parameter: esbuild's output only uses `module.exports`, and a
// contract may declare its own top-level `exports`.
const FACTORY_HEADER = '(function (require, module) {"use strict";'
const STATIC_FACTORY_HEADER = '(function (require, module) {"use strict"; /* static module */'

/**
 * Whether a factory is a static module's (static-module.ts): evaluated once per sandbox, its top
 * level frozen. Read from the header compileContract wrote, which the contract's text cannot change.
 */
export function isStaticFactory(factory: string): boolean {
  return factory.startsWith(STATIC_FACTORY_HEADER)
}

function describeFailure(err: unknown): string {
  const first = (err as Partial<TransformFailure>).errors?.[0]
  if (!first) return err instanceof Error ? err.message : String(err)
  const where = first.location ? ` (${CONTRACT_FILENAME}:${first.location.line}:${first.location.column})` : ''
  return `${first.text}${where}`
}
