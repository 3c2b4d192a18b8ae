// The identity of the contract runtime. Recorded at genesis: a verifier whose runtime differs
// refuses to judge rather than raise breaches that only reflect a different interpreter. The
// metering's cost table is part of it: two tables disagree about which ops run out of gas.

import { METERING_ID } from './fuel/costs.js'

/** Bump the leading `glassbox-vm/N` whenever the sandbox's observable behaviour changes. */
export const RUNTIME_ID = `glassbox-vm/4 quickjs-emscripten@0.32.0 release-sync esbuild@0.28.2 acorn@8.19.0 ${METERING_ID}`
