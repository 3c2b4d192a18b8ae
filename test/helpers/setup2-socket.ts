// Asking a running `glassbox serve` directly on its socket, for reads a test needs as reference
// values (a length, a counter) where the command that would print them is not under test.

import assert from 'node:assert/strict'
import { IpcClient } from '../../src/cli/ipc/client.js'
import type { MethodMap, MethodName } from '../../src/net/methods.js'

/** One request to the server listening on `socket`, on a connection of its own. */
export async function askServer<M extends MethodName>(socket: string, method: M, params: MethodMap[M]['params']): Promise<MethodMap[M]['result']> {
  const client = await IpcClient.connect(socket)
  assert.ok(client, `a glassbox server listens on ${socket}`)
  try {
    return (await client.request(method, params)) as MethodMap[M]['result']
  } finally {
    client.close()
  }
}
