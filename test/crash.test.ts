// Crash safety, short: the executor process is killed six times at spread-out instants (start-up,
// mid-block, during an append, between blocks) and restarted; every op is processed exactly once, in
// order, and no block it reported durable is lost. test/long/crash.test.ts runs the long version.

import { test } from 'node:test'
import { runCrashScenario } from './helpers/crash-run.js'

test('an executor killed at spread-out instants processes every op exactly once, in order, losing nothing', { timeout: 120_000 }, async () => {
  await runCrashScenario({ perWriter: 40, killRounds: 6, minKilledMidway: 3 })
})
