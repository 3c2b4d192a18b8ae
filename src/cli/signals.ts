// How long-running commands (serve, monitor) stop: cleanly on the first signal, at once on a second.

import { EXIT } from './command.js'
import type { Output } from './output.js'

/** Resolves on the first SIGINT or SIGTERM; a second one ends the process at once. */
export function shutdownSignal(io: Output, doing: string): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.once('SIGINT', () => process.exit(EXIT.error))
      process.once('SIGTERM', () => process.exit(EXIT.error))
      io.err(`glassbox: ${signal}, ${doing}`)
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
