// Bundles the explorer's browser script with esbuild, once per process. The entry is the compiled
// client/main.js beside this file, so a packed install (which ships dist/ only) bundles the same code.

import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ENTRY = fileURLToPath(new URL('./client/main.js', import.meta.url))

let bundled: Promise<string> | null = null

export function explorerScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0].text)
  return bundled
}
