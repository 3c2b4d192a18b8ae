// The contract transform in Node: esbuild's native binary. transformContract is synchronous, since
// the VM also compiles inside an op (setContractSource); esbuild's synchronous API runs a worker
// thread for it, which costs more than the transform. So where the caller can wait (loading a
// contract), prepareTransform compiles through the asynchronous API first and transformContract
// answers from what it made.

import { transform, transformSync } from 'esbuild'
import { TRANSFORM_OPTIONS } from './transform-options.js'

/** Transforms made ahead by prepareTransform, by source; the oldest go first past PREPARED_MAX. */
const prepared = new Map<string, string>()
const PREPARED_MAX = 16

/** The transformed module's code; throws esbuild's failure (with its `errors`) when it does not compile. */
export function transformContract(source: string): string {
  return prepared.get(source) ?? transformSync(source, TRANSFORM_OPTIONS).code
}

/** Makes transformContract(source) answer without esbuild's synchronous API; a failure is left to it. */
export async function prepareTransform(source: string): Promise<void> {
  if (typeof source !== 'string' || prepared.has(source)) return
  let code: string
  try {
    code = (await transform(source, TRANSFORM_OPTIONS)).code
  } catch {
    return
  }
  prepared.set(source, code)
  if (prepared.size > PREPARED_MAX) prepared.delete(prepared.keys().next().value as string)
}
