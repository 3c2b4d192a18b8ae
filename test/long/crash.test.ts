// Crash safety, long (`npm run test:long`): forty kills of the executor process at spread-out
// instants over 600 ops; every op is processed exactly once, in order, and no block it reported
// durable is lost or rewritten.

import { test } from 'node:test'
import { runCrashScenario } from '../helpers/crash-run.js'

test('an executor killed at forty instants processes every op exactly once, in order, losing nothing', { timeout: 300_000 }, async () => {
  await runCrashScenario({ perWriter: 200, killRounds: 40, minKilledMidway: 10 })
})
