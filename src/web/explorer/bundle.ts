// Bundles the explorer's browser script with esbuild, once per process. The entry is the compiled
// client/main.js beside this file, so a packed install (which ships dist/ only) bundles the same code.

import { fileURLToPath } from 'node:url'
import { bundleBrowserScript } from '../browser-bundle.js'

const ENTRY = fileURLToPath(new URL('./client/main.js', import.meta.url))

let bundled: Promise<string> | null = null

export function explorerScript(): Promise<string> {
  bundled ??= bundleBrowserScript(ENTRY)
  return bundled
}
