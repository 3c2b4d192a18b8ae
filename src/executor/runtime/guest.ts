// The guest side of an isolated runtime: holds the VMs the host asked for and runs ops on them.
// State reads go back to the host through a blocking link, so apply() stays synchronous as in
// local mode and sees exactly the state the host holds.

import { ContractVM } from '../../vm/index.js'
import type { Json, ListOptions, StateEntry, StateReader } from '../../vm/types.js'
import { executeOp } from '../execute-op.js'
import { errorShape, rebuildError, type GuestMessage, type HostMessage, type ReadReply, type ReadRequest } from './messages.js'

/** Sends a read to the host and blocks until its answer arrives. */
export interface ReadLink {
  request(req: ReadRequest): ReadReply
}

export class Guest {
  private readonly vms = new Map<number, Promise<ContractVM>>()
  private readonly state: StateReader

  constructor(link: ReadLink) {
    this.state = {
      get(key: string): Json | undefined {
        const reply = link.request({ t: 'get', key })
        if ('error' in reply) throw rebuildError(reply.error)
        return (reply as { value: Json | undefined }).value
      },
      list(prefix: string, opts: ListOptions = {}): StateEntry[] {
        const reply = link.request({ t: 'list', prefix, opts })
        if ('error' in reply) throw rebuildError(reply.error)
        return (reply as { entries: StateEntry[] }).entries
      },
    }
  }

  /** Handles one message; messages must be handled one after another, in order. */
  async handle(msg: HostMessage): Promise<GuestMessage | null> {
    if (msg.t === 'load') {
      const loading = ContractVM.create(msg.source, { limits: msg.limits })
      this.vms.set(msg.id, loading)
      try {
        const vm = await loading
        if (!vm.isReady) await vm.ready()
        return { t: 'loaded', id: msg.id }
      } catch (err) {
        return { t: 'loaded', id: msg.id, error: errorShape(err) }
      }
    }
    if (msg.t === 'drop') {
      const vm = this.vms.get(msg.id)
      this.vms.delete(msg.id)
      vm?.then((v) => v.dispose(), () => {})
      return null
    }
    try {
      const loading = this.vms.get(msg.vm)
      if (loading === undefined) throw new Error(`the runtime holds no contract ${msg.vm}`)
      const vm = await loading
      if (!vm.isReady) await vm.ready()
      return { t: 'done', draft: executeOp(vm, msg.src, this.state, msg.opts) }
    } catch (err) {
      return { t: 'fail', error: errorShape(err) }
    }
  }
}
