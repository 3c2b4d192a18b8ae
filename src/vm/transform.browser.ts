// The contract transform in the browser (the judge page). esbuild-wasm only transforms
// asynchronously there, and the VM compiles contracts synchronously (setContractSource runs inside
// an op), so transforms are prepared ahead: transformContract answers from what prepareTransforms
// made, and a source it has not seen is remembered and refused. The page then prepares the sources
// that were missed and judges again; a judgement is deterministic, so the second run is the one
// that stands (see src/web/judge/client/verdict.ts).

import { initialize, transform } from 'esbuild-wasm'
import { TRANSFORM_OPTIONS } from './transform-options.js'

type Prepared = { code: string } | { failure: unknown }

const prepared = new Map<string, Prepared>()
const missed = new Set<string>()
let ready: Promise<void> | null = null

/** Starts esbuild-wasm from its compiled module, on this thread (no worker: nothing is fetched). */
export function initTransform(wasmModule: WebAssembly.Module): Promise<void> {
  ready ??= initialize({ wasmModule, worker: false })
  return ready
}

export function transformContract(source: string): string {
  const found = prepared.get(source)
  if (found === undefined) {
    missed.add(source)
    throw new Error('this contract source has not been prepared for the browser yet')
  }
  if ('failure' in found) throw found.failure
  return found.code
}

/** Prepares one source once the transform is initialized (ContractVM awaits it before loading). */
export async function prepareTransform(source: string): Promise<void> {
  if (ready !== null) await prepareTransforms([source])
}

/** The sources transformContract was asked for and did not have, since the last call. */
export function takeMissedSources(): string[] {
  const list = [...missed]
  missed.clear()
  return list
}

export async function prepareTransforms(sources: string[]): Promise<void> {
  if (ready === null) throw new Error('initTransform() first')
  await ready
  for (const source of sources) {
    if (prepared.has(source)) continue
    try {
      prepared.set(source, { code: (await transform(source, TRANSFORM_OPTIONS)).code })
    } catch (failure) {
      prepared.set(source, { failure })
    }
  }
}
