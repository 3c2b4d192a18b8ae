// `glassbox sandbox` as a library: fork a database under a changed contract. The fork replays the
// original's history with the one replay engine (verify/replay.ts, in fork mode), keeps what the new
// code gives, and reports the entries whose outcome, changes or metadata would differ. The original
// is opened read-only and never written; the fork gets its own keys and a mark saying what it is.

import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { toHex } from '../codec/hash.js'
import { GlassboxError } from '../errors.js'
import { MANIFEST_FORMAT, writeManifest } from '../log/manifest.js'
import { LogStore } from '../log/store.js'
import { describeBreach } from '../verify/breach.js'
import { Replay, type ForkStep } from '../verify/replay.js'
import { openLogs } from '../verify/verify-dir.js'
import { ContractVM } from '../vm/index.js'
import { copyLogs } from './copy-logs.js'
import { entryDifference, type EntryDifference } from './differences.js'
import { ForkWriter } from './fork-writer.js'
import { SANDBOX_FORMAT, writeSandboxMark } from './mark.js'

/** A sandbox that cannot be made: bad contract, bad target, or an original that does not replay. */
export class SandboxError extends GlassboxError {}

/** The fork's own oplog: new calls in the sandbox are signed into it. */
export const SANDBOX_OPLOG = 'sandbox'

export interface SandboxParameters {
  /** The original database directory (read only). */
  dir: string
  /** The contract file (.js or .ts) that replaces the original's. */
  contract: string
  /** Where to create the fork; must not exist yet (or be an empty directory). */
  into: string
  onProgress?: (done: number, total: number) => void
}

export interface SandboxReturnType {
  /** The fork's directory and key (its own, not the original's). */
  dir: string
  key: string
  oplog: { name: string; pubkey: string }
  original: { dir: string; key: string; length: number }
  contract: { file: string; bytes: number; methods: string[] }
  /** Op entries replayed. */
  ops: number
  /** How many of them differ, and the original index position of the first one. */
  differing: number
  firstDiffering: number | null
  differences: EntryDifference[]
}

export async function sandbox(p: SandboxParameters): Promise<SandboxReturnType> {
  const original = path.resolve(p.dir)
  const into = path.resolve(p.into)
  if (into === original || into.startsWith(original + path.sep)) {
    throw new SandboxError('SANDBOX_TARGET', `the sandbox cannot go in ${p.into}: that is (inside) the original database ${p.dir}`)
  }
  const contract = await loadContract(p.contract)
  await checkTarget(into, p.into)
  const { store, logs } = await openLogs(p.dir)
  let fork: LogStore | null = null
  let created = false
  try {
    const total = logs.index.length
    await mkdir(into, { recursive: true })
    created = true
    fork = new LogStore(into)
    await fork.ready()
    const writer = new ForkWriter(await fork.localIndex())
    const oplogKey = toHex((await fork.localOplog(SANDBOX_OPLOG)).key)
    const differences: EntryDifference[] = []
    const origins = new Set<string>()
    let ops = 0
    const onStep = async (seq: number, step: ForkStep): Promise<void> => {
      if (step.kind === 'genesis') for (const e of step.entries) writer.add(e)
      else if (step.kind === 'seal') await writer.seal(step)
      else if (step.kind === 'op') {
        ops++
        origins.add(step.published.ack.origin)
        writer.add(step.expected)
        const diff = entryDifference(seq, step.published, step.expected, step.op)
        if (diff) differences.push(diff)
      } else {
        ops++
        const { ack } = step.published
        differences.push({ position: seq, origin: ack.origin, opSeq: ack.seq, op: null, notProcessed: `oplog ${ack.origin.slice(0, 8)}… is not an input under the new contract` })
      }
      p.onProgress?.(seq + 1, total)
    }
    const replay = new Replay(logs, { contract: contract.code, extraInputs: [oplogKey], onStep })
    try {
      while (replay.position < total) {
        const breach = (await replay.verifyNext()) ?? (await replay.checkGenesisComplete(total))
        if (breach) {
          throw new SandboxError('ORIGINAL_BREACH', `the original does not replay: ${describeBreach(breach)}: ${breach.message} (see \`glassbox verify --dir ${p.dir}\`)`)
        }
      }
      if (!replay.genesisDone) throw new SandboxError('ORIGINAL_INCOMPLETE', `${p.dir}: the index log has no genesis entry`)
      // A tail the original left unsealed is sealed in the fork, so its executor can build on it.
      await writer.seal({ stateRoot: replay.view.state.root(), positions: replay.view.lastSeq })
      const inputs = replay.view.inputs().filter((k) => k !== oplogKey)
      await copyLogs(store, fork, [...new Set([...origins, ...inputs])])
    } finally {
      replay.dispose()
    }
    const key = toHex((await fork.localIndex()).key)
    await fork.flush()
    await fork.close()
    fork = null
    // The mark goes first: a directory with a manifest is a database, and this one is always marked.
    const originalKey = toHex(logs.index.key)
    await writeSandboxMark(into, { format: SANDBOX_FORMAT, forkOf: originalKey, originalDir: original, replayedLength: total, contract: contract.file, created: new Date().toISOString() })
    await writeManifest(into, { format: MANIFEST_FORMAT, key, oplogs: { [SANDBOX_OPLOG]: oplogKey } })
    await checkFork(into)
    return {
      dir: into,
      key,
      oplog: { name: SANDBOX_OPLOG, pubkey: oplogKey },
      original: { dir: original, key: originalKey, length: total },
      contract: { file: contract.file, bytes: Buffer.byteLength(contract.code), methods: contract.methods },
      ops,
      differing: differences.length,
      firstDiffering: differences[0]?.position ?? null,
      differences,
    }
  } catch (err) {
    await fork?.close().catch(() => {})
    if (created) await rm(into, { recursive: true, force: true })
    throw err
  } finally {
    await store.close()
  }
}

/** Bundles and loads the new contract before anything is created, so a bad one costs nothing. */
async function loadContract(file: string): Promise<{ file: string; code: string; methods: string[] }> {
  const abs = path.resolve(file)
  const found = await stat(abs).catch(() => null)
  if (!found?.isFile()) throw new SandboxError('CONTRACT_NOT_FOUND', `no contract file at ${file}`)
  const { bundleContract } = await import('../vm/bundle.js')
  let code: string
  let vm: ContractVM
  try {
    code = await bundleContract(abs)
    vm = await ContractVM.create(code)
  } catch (err) {
    throw new SandboxError('CONTRACT_LOAD_FAILED', `the contract ${file} does not load: ${(err as Error).message}`, { cause: err })
  }
  const methods = vm.methods
  vm.dispose()
  return { file: abs, code, methods }
}

async function checkTarget(into: string, given: string): Promise<void> {
  const found = await stat(into).catch(() => null)
  if (!found) return
  if (!found.isDirectory() || (await readdir(into)).length > 0) {
    throw new SandboxError('SANDBOX_EXISTS', `${given} already exists; remove it or name another directory with --into`)
  }
}

/** Opens the fork as a database once: its executor checks the roots it will build on. */
async function checkFork(dir: string): Promise<void> {
  const { Database } = await import('../database.js')
  const db = await Database.load(dir)
  try {
    await db.settled()
  } finally {
    await db.close()
  }
}
