// The contract transform in Node: esbuild's native binary, synchronously.

import { transformSync } from 'esbuild'
import { TRANSFORM_OPTIONS } from './transform-options.js'

/** The transformed module's code; throws esbuild's failure (with its `errors`) when it does not compile. */
export function transformContract(source: string): string {
  return transformSync(source, TRANSFORM_OPTIONS).code
}
