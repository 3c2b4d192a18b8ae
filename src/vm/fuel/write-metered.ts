// Run by `npm run build` once the code is compiled: writes the instrumented QuickJS module beside
// the compiled instrumenter (metered-build.ts), so processes load it instead of instrumenting.

import path from 'node:path'
import { packageQuickjsWasm } from '../quickjs-wasm.js'
import { METERED_FILE, writeMeteredWasm } from './metered-build.js'

writeMeteredWasm(packageQuickjsWasm())
process.stdout.write(`glassbox: wrote the metered QuickJS module (${path.relative(process.cwd(), METERED_FILE)})\n`)
