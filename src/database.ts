// The Database facade: create or open a Glassbox database directory, call its contract,
// read its state and history. It runs the executor in-process when the directory holds the
// index log's key pair.

import type Hypercore from 'hypercore'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fromHex, isPubkeyHex, toHex } from './codec/hash.js'
import { decodeEntry, encodeEntry, PROTOCOL, SYS, type IndexEntry, type OpEntry, type SealEntry } from './codec/messages.js'
import { DatabaseError, UsageError } from './errors.js'
import { Executor, type BlockEvent, type ExecutorOptions } from './executor/executor.js'
import type { RuntimeMode } from './executor/runtime/runtime.js'
import { sealBlock } from './executor/seal-block.js'
import { Claimer, type ClaimerOptions } from './claims/claimer.js'
import { ClaimsLog } from './claims/claims-log.js'
import { proveExecutionRange, type ExecutionAnswer } from './verify/execution-range.js'
import { accumulatorConsistency, accumulatorInclusion, checkpointOfSeal, type AccumulatorProof, type LogCheckpoint } from './log/log-checkpoint.js'
import { readManifest, writeManifest, type Manifest } from './log/manifest.js'
import { proveInclusion } from './log/merkle.js'
import { signerOf } from './log/seal.js'
import { proveEntry, signedSealAt } from './log/sealed-entry.js'
import { LogStore } from './log/store.js'
import { copiedDirectoryError } from './log/copied.js'
import { PROOF_FORMAT, type ReceiptFile, type ReceiptOp, type StateProofFile } from './participant/proof-files.js'
import { proveKey } from './state/auth/prove.js'
import { callMethod, prepareCall, type OpRef } from './participant/call.js'
import { checkQuery, queryHash, QueryError, REFUSED_MESSAGE, signAnswer, type Answer } from './participant/query.js'
import { executeOp, finishEntry } from './executor/execute-op.js'
import { BlockTree, type CommitResult, type PathBlock, type PathRun, type SpeculativeOp } from './executor/block-tree.js'
import type { Undo } from './state/memory-state.js'
import { readHistory, type HistoryOptions, type HistoryItem } from './participant/history.js'
import { entryChanges, IndexState } from './state/index-state.js'
import { loadState, type StateLoad } from './state/store/load-state.js'
import type { StateStore } from './state/store/state-store.js'
import type { ReplicateOptions } from './net/replicate-database.js'
import type { Replicator } from './net/replicator.js'
import { IndexFollower } from './participant/follow-index.js'
import { readSandboxMark, type SandboxMark } from './sandbox/mark.js'
import type { StageTimes } from './executor/stage-times.js'
import { listStateCheckpoints, writeStateCheckpoint } from './state/checkpoint/checkpoint-files.js'
import { keptBase, keptBaseLength } from './state/checkpoint/kept-base.js'
import { checkEvery, CheckpointSchedule } from './state/checkpoint/checkpoint-schedule.js'
import { makeStateCheckpoint, type StateCheckpoint, type StateCheckpointManifest } from './state/checkpoint/state-checkpoint.js'
import { Monitor, type MonitorOptions, type VerifyReport } from './verify/monitor.js'
import { LocalParty } from './dispute/party.js'
import { ReplayedRoots, SignedRoots } from './dispute/roots.js'
import { disputeBounds, rangeWithin } from './dispute/bounds.js'
import type { DisputeOpen } from './dispute/messages.js'
import { DEFAULT_DEADLINE_MS } from './dispute/referee.js'
import type { ReplayLogs } from './verify/replay.js'
import { ContractVM, DEFAULT_LIMITS, RUNTIME_ID } from './vm/index.js'
import { COMPILED_CONTRACT_FILE, CompileCache } from './vm/compile-cache.js'
import { confidentialSettings, createConfidential, directoryIdentities, openConfidential, type Confidential } from './confidential/open.js'
import { identityOf } from './confidential/epochs.js'
import { openOp, sealOp } from './confidential/op-envelope.js'
import { sealStateCheckpoint } from './confidential/sealed-checkpoint.js'
import { KeyringError } from './confidential/keyring.js'
import { DEFAULT_PEER_TIMEOUT_MS } from './net/network-options.js'
import { swarmKeyPair } from './net/swarm-identity.js'
import type { StandbyChannels } from './failover/standby-channel.js'
import { StandbyHold } from './failover/standby-hold.js'
import { AppendJournal, journaledOplogs, replayJournal } from './log/append-journal.js'
import { RecentBlocks } from './log/recent-blocks.js'
import { Standby, type StandbyOptions } from './failover/standby.js'
import { namedStandby, stateWith, STANDBY_METHOD } from './failover/named-standby.js'
import { appendHeldBlocks, beginTakeover, endTakeover, EXECUTOR_KEY_FILE, readExecutorKey, writeExecutorKeyFile, type ExecutorKeys } from './failover/takeover.js'
import { normalizePrefix } from './vm/overlay.js'
import type { Change, Json, Limits, ListOptions, StateEntry, StateReader } from './vm/types.js'

/** Entries the state store may lag behind the log while blocks keep coming (see storeAdvanced). */
const STORE_COMMIT_ENTRIES = 256
/** How long no block comes before the state store takes the rest. */
const STORE_QUIET_MS = 50

export interface CreateOptions {
  /** The contract's bundled ES module source (see bundleContract for files). */
  contract: string
  /** Names of local oplogs to create and declare as inputs at genesis; default ['main']. */
  oplogs?: string[]
  /** Public keys (hex) of other oplogs to declare as inputs at genesis. */
  inputs?: string[]
  executor?: ExecutorOptions
  /** Keep a state checkpoint every this many entries (docs/protocol.md §14.1); kept in the manifest. Default 0: none. */
  checkpointEvery?: number
  /**
   * A confidential database (docs/protocol.md §17): its entries and ops are sealed under epoch keys
   * that only its members hold (the executor, the inputs, and `readers`, public keys in hex); a new
   * epoch starts whenever the members change and, with `rotateEvery`, every that many entries.
   */
  confidential?: { readers?: string[]; rotateEvery?: number; publicContract?: boolean }
}

export interface LoadOptions {
  /** Run the executor (default: when this directory holds the index key pair). */
  execute?: boolean
  executor?: ExecutorOptions
  /**
   * Replicate with peers on the DHT (net/): announce the database and serve its logs; without the
   * executor, also follow the index log as peers extend it. Off by default (local disk only).
   */
  network?: ReplicateOptions
  /**
   * Open the logs read-only, as for a copy of a database directory (log/copied.ts): no executor, no
   * network, nothing written to the logs, and a call that would publish ops is refused.
   */
  readOnly?: boolean
  /** Overrides the manifest's `checkpointEvery` for this run (0: none). */
  checkpointEvery?: number
  /** A confidential database: another key pair (a reader's, 64-byte secret key) whose epoch keys this directory may open. */
  readerKey?: Uint8Array
  /**
   * A confidential database this directory is not a member of yet, opened on the network: wait this
   * long for the executor to let it in (default: the network's peer timeout); 0 fails at once.
   */
  membershipTimeoutMs?: number
  /**
   * With the executor: forward every block to this standby (its swarm key, hex) and append it only
   * once the standby holds it (docs/protocol.md §18). Kept in the manifest, so every later run of the
   * executor waits for the same standby; null forgets it. Default: the manifest's. Needs `network`.
   */
  standby?: string | null
}

export interface CallOptions {
  /** The local oplog to call as (default: the first one). */
  as?: string
  /** Call as a reader with no oplog: a method that emits ops fails with NO_OPLOG and publishes nothing. */
  readOnly?: boolean
}

/** What an op became once the executor processed it. */
export interface OpResult extends OpRef {
  /** The index position of the op's entry. */
  index: number
  success: boolean
  error: string | null
  ts: number
  metadata: Json
  changes: Change[]
}

/** What a call's ops would do on the sealed head (Database.preview); nothing of it is kept. */
export interface Preview {
  method: string
  response: Json
  /** The sealed head the ops were run on. */
  head: { length: number; stateRoot: string }
  ops: { op: Json; success: boolean; error: string | null; metadata: Json; changes: Change[]; stateRoot: string }[]
  /** The state root the ops would leave. */
  stateRoot: string
}

export interface CallResult {
  response: Json
  ops: OpRef[]
  /** Resolves when the executor has acknowledged every op the call emitted. */
  whenProcessed(): Promise<OpResult[]>
}

export interface DatabaseInfo {
  key: string
  /** The executor's key: the index log's signer (hex), from which the database key is derived. */
  signer: string
  protocol: string
  runtime: string
  length: number
  executor: boolean
  inputs: string[]
  oplogs: { name: string; pubkey: string; length: number; input: boolean }[]
  /**
   * notStatic: why its module is evaluated for every op, or null when it is static (docs/protocol.md §6.2);
   * compiledFromCache: its compiled form was read from the executor's compile cache (src/vm/compile-cache.ts).
   */
  contract: { bytes: number; methods: string[]; notStatic: string | null; compiledFromCache: boolean }
  /** Keys the contract wrote (not counting the system's `.sys/` keys). */
  keys: number
  /** Opened read-only: a copy of a database directory, where no executor runs and no op is published. */
  readOnly: boolean
  /** The root of the authenticated state (docs/protocol.md §7), hex: with the executor, the one its last durable seal signs. */
  stateRoot: string
  /** Set when this directory is a sandbox (`glassbox sandbox`): a fork, with its own keys, of another database. */
  sandbox: SandboxMark | null
  /**
   * A confidential database (docs/protocol.md §17): its keys log, readers and rotation, its newest
   * epoch, and whether this directory holds that epoch's key (is a member now). Null in the clear.
   */
  confidential: { keys: string; readers: string[]; rotateEvery: number; epoch: number; member: boolean } | null
  /**
   * Failover (docs/protocol.md §18): the standby the executor waits for before each append (its swarm
   * key: the one the contract names, §18.4, when it exports standby(), else the manifest's), whether
   * this directory stands by now, and whether it took over (holds `executor.key`).
   */
  failover: { standby: string | null; namedByContract: boolean; standingBy: boolean; tookOver: boolean }
}

/** A state read with its proof (`db.get(key, {proof: true})`). */
export interface ProvenRead {
  key: string
  found: boolean
  value: Json
  proof: StateProofFile
}

type SealedAt = { position: number; seal: SealEntry }

/** The signed head of the index log: its length and Merkle tree hash. */
export interface IndexHead {
  length: number
  hash: string
}

/**
 * Emits `block` (a BlockEvent) after each block of entries the local executor appended, and, when it
 * follows a remote executor over the network, `synced` ({length}) after each block of entries peers sent is folded;
 * `stored` ({length}) once the state store holds the state at that index length.
 */
export class Database extends EventEmitter {
  private executor: Executor | null = null
  /** The standby channel of the network, when the database is on it (docs/protocol.md §18). */
  private standbyChannels: StandbyChannels | null = null
  /** With the executor: the standby the last block waited for (null: none); undefined before the first. */
  private standbyTarget: string | null | undefined = undefined
  /** With the executor and a standby: the hold each append waits for. */
  private standbyHold: StandbyHold | null = null
  /** Entries in the log that the state store has not taken yet (it need not take every block). */
  private storeBehind = 0
  /** Index entries just appended or followed, by position: whenProcessed answers from here without a read. */
  private readonly recentEntries = new RecentBlocks()
  /** A commit of the state store was asked for while another was in flight (commitStore). */
  private commitPending = false
  /** Set once close() has begun: the store takes no more background commits. */
  private closing = false
  /** Commits the store once no block came for STORE_QUIET_MS (storeAdvanced). */
  private quietCommit: NodeJS.Timeout | null = null
  /** Where the directory makes each append to a log it signs durable before it is written. */
  private journal: AppendJournal | null = null
  /** Without the executor: this directory as the executor's standby. */
  private standbyRole: Standby | null = null
  /** A standby's live downloads of the index log and of every oplog the log acknowledges ops of. */
  private readonly oplogDownloads = new Map<string, { destroy(): void }>()
  private follower: IndexFollower | null = null
  /** The network replication, when the database was loaded with `network`. */
  private replicator: Replicator | null = null
  private readonly holder: { vm: ContractVM }
  private readonly waiters = new Set<() => void>()
  /**
   * Calls waiting for an op's ack, by oplog, lowest seq first. An oplog's ops are acked in order, so
   * a wake runs only the waiters whose op may be processed now: with hundreds of calls in flight
   * (a remote participant at 1,000 ops/s), running every waiter at every block cost more than the calls.
   */
  private readonly ackWaiters = new Map<string, { seq: number; wake: () => void }[]>()
  private readonly monitors = new Set<Monitor>()
  /** With the executor: the state root its last durable seal signs (the view runs ahead mid-block). */
  private sealedRoot: string | null = null
  private dispute: Promise<LocalParty> | null = null
  /** The checkpoint schedule (docs/protocol.md §14.1), when the database keeps one. */
  private schedule: CheckpointSchedule | null = null
  /** Scheduled checkpoints being written, one after the other. */
  private checkpointing: Promise<void> = Promise.resolve()
  /** Opened read-only (a copy of a database directory): calls that publish ops are refused. */
  readOnly = false
  /** A confidential database's settings and the epoch keys this directory holds (docs/protocol.md §17). */
  confidential: Confidential | null = null

  private constructor(
    readonly dir: string,
    private manifest: Manifest,
    private readonly logs: LogStore,
    private readonly index: Hypercore,
    private readonly view: IndexState,
    vm: ContractVM,
    private readonly limits: Limits,
    private readonly store: StateStore | null,
    /** How the state was opened: from the state store plus the log's tail, or from the whole log. */
    readonly stateLoad: StateLoad,
  ) {
    super()
    this.holder = { vm }
    // A log rewritten from `length` on (a fork followed) holds other entries there.
    index.on('truncate', (length: number) => this.recentEntries.truncate(length))
  }

  /** Creates a database: writes the genesis entries (seed 001 §3.2) in one atomic append. */
  static async create(dir: string, opts: CreateOptions): Promise<Database> {
    if (await readManifest(dir)) throw new DatabaseError('DATABASE_EXISTS', `${dir} already holds a database`)
    const names = opts.oplogs ?? ['main']
    if (new Set(names).size !== names.length) throw new UsageError('USAGE', 'oplog names must be distinct')
    // Loaded here to refuse a contract that does not load before anything is written; the database
    // opened below takes this VM rather than loading the source again.
    const vm = await ContractVM.create(opts.contract)
    const logs = new LogStore(dir)
    try {
      await logs.ready()
      const index = await logs.localIndex()
      if (index.length > 0) {
        throw new DatabaseError('DATABASE_INCOMPLETE', `${dir} holds a partly created database; remove it and create it again`)
      }
      const oplogs: Record<string, string> = {}
      for (const name of names) oplogs[name] = toHex((await logs.localOplog(name)).key)
      const inputs = [...new Set([...Object.values(oplogs), ...(opts.inputs ?? [])])]
      const confidential = opts.confidential ? await createConfidential(logs, index, inputs, opts.confidential) : null
      const genesis: IndexEntry[] = [
        { type: 'header', protocol: PROTOCOL, runtime: RUNTIME_ID, ...(confidential ? { confidential: confidential.settings } : {}) },
        { type: 'contract', code: opts.contract },
        ...inputs.map((pubkey): IndexEntry => ({ type: 'input', pubkey })),
        { type: 'genesis' },
      ]
      const view = new IndexState()
      for (const e of genesis) view.fold(e)
      const blocks: Buffer[] = genesis.map((e) => Buffer.from(encodeEntry(e)))
      const stored = confidential ? (p: number, b: Uint8Array) => confidential.encryption.stored(p, b) : undefined
      blocks.push(sealBlock(index, { roots: [], peaks: [] }, 0, blocks, { stateRoot: view.state.root(), positions: view.lastSeq }, stored).bytes)
      await index.append(blocks)
      const every = checkEvery(opts.checkpointEvery, 'create')
      await writeManifest(dir, { format: 'glassbox-dir/1', key: toHex(index.key), oplogs, ...(every > 0 ? { checkpointEvery: every } : {}) })
    } catch (err) {
      vm.dispose()
      throw err
    } finally {
      await logs.close()
    }
    return Database.open(dir, { executor: opts.executor }, vm)
  }

  /** Opens a database directory and folds its index log into the local view. */
  static async load(dir: string, opts: LoadOptions = {}): Promise<Database> {
    return Database.open(dir, opts, null)
  }

  /** load(), with the VM of the log's contract if the caller has it loaded already (it is disposed on failure). */
  private static async open(dir: string, opts: LoadOptions, loadedVM: ContractVM | null): Promise<Database> {
    const manifest = await readManifest(dir)
    if (!manifest) {
      const hint = existsSync(dir) ? 'no database there' : 'no such directory'
      throw new DatabaseError('DATABASE_NOT_FOUND', `${dir}: ${hint} (create one with \`glassbox init\`)`)
    }
    if (opts.readOnly && (opts.execute || opts.network)) {
      throw copiedDirectoryError(dir, opts.execute ? 'run the executor' : 'go on the network (replicating would append to its logs)')
    }
    const logs = new LogStore(dir, opts.readOnly ? { readOnly: true } : {})
    let db: Database | null = null
    let store: StateStore | null = null
    let replicator: Replicator | null = null
    let standbyChannels: StandbyChannels | null = null
    try {
      await logs.ready()
      // A directory that took over as executor (failover/takeover.ts) holds the key pair in a file.
      const executorKey = opts.readOnly ? null : await readExecutorKey(dir)
      const index = await logs.byPubkey(manifest.key, executorKey?.index)
      if (executorKey && !index.writable) throw new DatabaseError('EXECUTOR_KEY_MISMATCH', `${dir}: ${EXECUTOR_KEY_FILE} does not hold the key pair that signs this database's index log`)
      // Appends that a crash or power loss took from the directory's logs after they were journaled
      // go back in (log/append-journal.ts): its oplogs', then the keys log's, whose epochs seal the
      // index entries after them (a takeover's held records, failover/takeover.ts, before each).
      const journaled = !opts.readOnly
      if (journaled) {
        for (const key of await journaledOplogs(dir)) {
          const oplog = await logs.byPubkey(key)
          if (!oplog.writable) throw new DatabaseError('JOURNAL_MISMATCH', `${dir}: its journal holds blocks of oplog ${key.slice(0, 8)}…, which this directory does not sign`)
          await replayJournal(dir, oplog, key)
        }
      }
      const keysSettings = journaled && index.writable ? await confidentialSettings(index) : null
      if (keysSettings) {
        if (executorKey && !executorKey.keysLog) throw new DatabaseError('EXECUTOR_KEY_MISMATCH', `${dir}: ${EXECUTOR_KEY_FILE} has no key pair for the keys log of this confidential database`)
        const keysLog = await logs.byPubkey(keysSettings.keys, executorKey?.keysLog ?? undefined)
        if (!keysLog.writable) throw new DatabaseError('EXECUTOR_KEY_MISMATCH', `${dir}: ${executorKey ? EXECUTOR_KEY_FILE : 'this directory'} does not hold the key pair that signs this database's keys log`)
        if (executorKey) await appendHeldBlocks(dir, keysLog, 'keys')
        await replayJournal(dir, keysLog, 'keys')
      }
      // (Appends a crash left in the page cache need no sync before peers see them: the journal,
      // kept until the logs are synced, holds them; docs/protocol.md §5.2.)
      if (opts.network) {
        // Local oplogs are opened first so that the executor's requests for them find them.
        for (const name of Object.keys(manifest.oplogs)) await logs.localOplog(name)
        // Loaded here: the network stack (Hyperswarm, HyperDHT, UDX) is heavy, and most opens stay offline.
        const { replicateDatabase } = await import('./net/replicate-database.js')
        // Its peers can ask it for the state checkpoints kept in the directory too (a confidential
        // database's are sealed, docs/protocol.md §17.8).
        // A replica started from a checkpoint fetches the log from that checkpoint's seal on (§12.3).
        const base = index.writable ? null : await keptBaseLength(dir, index)
        const replicated = await replicateDatabase(logs, index, { ...opts.network, checkpointsFrom: dir, ...(base === null ? {} : { indexFrom: base }) })
        replicator = replicated.replicator
        standbyChannels = replicated.standby
      }
      // A confidential index decrypts on read from here on, for everything that opens it below.
      const identities = await directoryIdentities(logs, index, Object.keys(manifest.oplogs))
      if (opts.readerKey) identities.push(identityOf(opts.readerKey))
      const confidential = await openConfidential(logs, index, identities, { wait: opts.network !== undefined })
      // ...then the index log's held blocks, through its encryption when it is confidential.
      // (No sync of them here: the held-blocks file keeps them until the handover seal is journaled,
      // and the journal starts only once the logs, these blocks with them, are synced.)
      const handoverOwed = executorKey ? await appendHeldBlocks(dir, index, undefined, confidential ? (p, b) => confidential.encryption.stored(p, b) : undefined) : false
      if (journaled && index.writable) await replayJournal(dir, index)
      if (confidential && !confidential.keyring.holds(0)) {
        // Not a member (yet): online, wait for an epoch sealed to this directory's keys; else refuse.
        const wait = opts.network ? (opts.membershipTimeoutMs ?? opts.network.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS) : 0
        await confidential.keyring.waitForMembership(wait).catch((err: Error) => {
          const oplogs = Object.values(manifest.oplogs)
          const hint = oplogs.length ? `; to be let in, a member makes one of its oplogs an input (${oplogs.map((k) => k.slice(0, 16) + '…').join(', ')}) and this directory comes online` : ''
          throw new KeyringError('NOT_A_MEMBER', `${dir}: not a member of the confidential database ${manifest.key.slice(0, 8)}…${hint} (${err.message})`)
        })
      }
      await checkProtocol(dir, index)
      // From the state store plus the log's tail when the log vouches for the store, else the whole log.
      const loaded = await loadState(dir, index, {}, () => keptBase(dir, index, confidential?.keyring))
      const { view, claimedRoot } = loaded
      store = loaded.store
      if (!view.genesisDone) throw new DatabaseError('DATABASE_INCOMPLETE', `${dir}: the index log has no genesis entry`)
      if (view.runtime !== RUNTIME_ID) {
        throw new DatabaseError(
          'RUNTIME_MISMATCH',
          `${dir} was created with runtime "${view.runtime}" but this Glassbox runs "${RUNTIME_ID}"; it refuses to execute rather than produce entries monitors would reject`,
        )
      }
      // The fold trusts the entries' changes; an executor must not build on a log whose last root
      // is not the one those changes give (a read-only open may still verify it and say why).
      const execute = !opts.readOnly && (opts.execute ?? index.writable)
      if (execute && claimedRoot && toHex(claimedRoot) !== toHex(view.state.root())) {
        throw new DatabaseError(
          'STATE_ROOT_MISMATCH',
          `${dir}: the index log's last state root ${toHex(claimedRoot).slice(0, 8)}… is not the root of the state its entries build (run \`glassbox verify\`)`,
        )
      }
      const limits = { ...DEFAULT_LIMITS }
      // The contract loads when an op or a call first needs it: reads and verifies never do. An
      // executor keeps its compiled form in its own directory (vm/compile-cache.ts).
      const vm = loadedVM ?? ContractVM.deferred(view.source, execute && index.writable ? { compileCache: new CompileCache(path.join(dir, COMPILED_CONTRACT_FILE)) } : {})
      loadedVM = null
      db = new Database(dir, manifest, logs, index, view, vm, limits, store, loaded.load)
      db.replicator = replicator
      db.standbyChannels = standbyChannels
      db.confidential = confidential
      db.readOnly = opts.readOnly ?? false
      // Syncs what the last run's journal (and a takeover's held blocks) put back, then journals anew.
      if (journaled) {
        const keysLog = confidential?.keyring.keysLog ?? null
        db.journal = await AppendJournal.start(dir, () => logs.flush(), {
          executorLogs: (log) => (log === undefined ? index : log === 'keys' ? keysLog : null),
          // Only an executor reads its callers' ops back.
          ...(index.writable ? { recentAppends: (core: Hypercore) => logs.recentAppends(core) } : {}),
        })
      }
      if (execute) {
        await db.startCheckpoints(checkEvery(opts.checkpointEvery ?? manifest.checkpointEvery, 'load'))
        const handover = handoverOwed ? { handover: new Uint8Array((await swarmKeyPair(logs.corestore)).publicKey) } : {}
        if (typeof opts.standby === 'string' && (await db.methods()).includes(STANDBY_METHOD)) {
          throw new UsageError('USAGE', `${dir}: the contract names the standby (it exports ${STANDBY_METHOD}()), so the executor takes none of the operator's choice (--standby-peer)`)
        }
        if (opts.standby !== undefined && opts.standby !== (manifest.standby ?? null)) {
          const { standby: _, ...rest } = manifest
          db.manifest = opts.standby === null ? rest : { ...rest, standby: opts.standby }
          await writeManifest(dir, db.manifest)
        }
        await db.startExecutor({ ...opts.executor, ...handover }, opts.standby === undefined ? manifest.standby : (opts.standby ?? undefined))
        if (handoverOwed) await endTakeover(dir)
      }
      else if (replicator) db.startFollower()
      return db
    } catch (err) {
      loadedVM?.dispose()
      if (db) await db.close()
      else {
        await replicator?.close()
        await store?.close()
        await logs.close()
      }
      throw err
    }
  }

  /** The database key: the index log's public key, hex. */
  get key(): string {
    return this.manifest.key
  }

  /** The public key (hex) that signs the index log and its seals: the executor's. */
  get signer(): string {
    return toHex(signerOf(this.index))
  }

  /**
   * Entries in the index log. With the executor, only those on stable storage: the view also holds
   * the block being built, which a power loss could still drop.
   */
  get length(): number {
    return this.executor ? this.index.length : this.view.length
  }

  /** The index log's length and tree hash now. */
  async head(): Promise<IndexHead> {
    const length = this.index.length
    return { length, hash: toHex(await this.index.treeHash(length)) }
  }

  /** The index log's tree hash at an earlier length (to check it was never rewritten). */
  async indexHash(length: number): Promise<string> {
    return toHex(await this.index.treeHash(length))
  }

  /** Where the executor's time went, stage by stage (null without the executor). */
  get executorTimes(): StageTimes | null {
    return this.executor?.times ?? null
  }

  get source(): string {
    return this.atHead(() => this.view.source)
  }

  /**
   * Runs `fn` on the state readers may see: with the executor, its committed head (blocks still being
   * executed or appended are taken back meanwhile); otherwise the view as it is. `fn` is synchronous.
   */
  private atHead<T>(fn: () => T): T {
    return this.executor ? this.executor.committed(fn) : fn()
  }

  /** The contract's methods (loading the contract if no op or call has yet). */
  async methods(): Promise<string[]> {
    return (await this.readyVM()).methods
  }

  private async readyVM(): Promise<ContractVM> {
    const { vm } = this.holder
    if (!vm.isReady) await vm.ready()
    return vm
  }

  /** Local oplogs by name, with their public keys. */
  get oplogs(): Record<string, string> {
    return { ...this.manifest.oplogs }
  }

  /**
   * Starts the checkpoint schedule (docs/protocol.md §14.1). A checkpoint due at the head the
   * database reopens at (a crash came between a seal and its checkpoint) is taken now, so none is skipped.
   */
  private async startCheckpoints(every: number): Promise<void> {
    if (every === 0) return
    this.schedule = new CheckpointSchedule(every, await listStateCheckpoints(this.dir))
    const last = this.view.lastSeal
    if (last && last.position === this.view.length - 1) this.checkpointAt(last.seal.length)
    await this.checkpointing
  }

  /** Takes the checkpoint of the view (which stands right after the seal at `length`) if one is due; written in the background, in order. */
  private checkpointAt(length: number): void {
    const schedule = this.schedule
    if (!schedule?.due(length)) return
    schedule.taken(length)
    let cp: StateCheckpoint
    try {
      cp = makeStateCheckpoint(this.view, this.index.key, signerOf(this.index))
    } catch (err) {
      this.checkpointFailed(err as Error)
      return
    }
    this.checkpointing = this.checkpointing.then(() => this.keepCheckpoint(cp)).then(
      () => void this.emit('checkpoint', { length }),
      (err: Error) => this.checkpointFailed(err),
    )
  }

  /** A checkpoint that could not be kept: the history is still whole; batch validation has a longer segment there. */
  private checkpointFailed(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', new DatabaseError('CHECKPOINT_FAILED', `a scheduled state checkpoint could not be kept: ${err.message}`, { cause: err }))
  }

  /** Resolves once the scheduled checkpoints taken so far are on disk. */
  async checkpointsWritten(): Promise<void> {
    await this.checkpointing
  }

  private async startExecutor(opts: ExecutorOptions = {}, standby?: string): Promise<void> {
    if (standby && !this.standbyChannels) throw new UsageError('USAGE', `${this.dir}: the executor has a standby (${standby.slice(0, 8)}…), which it reaches over the network: serve it online`)
    const secretKey = this.index.keyPair?.secretKey
    if (standby && !secretKey) throw new DatabaseError('NOT_EXECUTOR', `${this.dir} does not hold the executor's key pair`)
    const journal = this.journal
    if (!journal) throw new DatabaseError('NOT_EXECUTOR', `${this.dir} is open read-only: it runs no executor`)
    // Each block is held by the standby the contract names on the state before it, if it names one
    // (§18.4), else by the operator's (`standby`). This instance named is no standby: it writes.
    const own = this.swarmKey
    let lastNamed: string | null | undefined
    const standbyOf = (state: StateReader): string | null | undefined => {
      const named = namedStandby(this.holder.vm, state, (why) => this.emit('standby', { event: 'invalid', detail: why }))
      if (named !== lastNamed) {
        lastNamed = named
        if (named !== undefined) this.emit('standby', { event: 'named', detail: named })
      }
      return named
    }
    const targetOf = (named: string | null | undefined): string | null => (named === undefined ? standby ?? null : named === own ? null : named)
    const holdAt = (target: string): StandbyHold => {
      if (!this.standbyChannels || !secretKey) throw new DatabaseError('STANDBY_OFFLINE', `${this.dir}: the contract names a standby (${target.slice(0, 8)}…), which the executor reaches over the network: serve it online`)
      if (this.standbyHold) {
        this.standbyHold.retarget(target)
        return this.standbyHold
      }
      const standbyHold = new StandbyHold(this.standbyChannels, target, secretKey)
      this.standbyHold = standbyHold
      for (const event of ['connected', 'disconnected', 'refused', 'waiting', 'fenced', 'retargeted']) standbyHold.on(event, (detail?: unknown) => this.emit('standby', { event, detail }))
      return standbyHold
    }
    // Held there, then journaled here: the journal never holds a block the standby refused (a fenced
    // executor's journal must not put back, at its next open, a block the new one never got).
    const hold = async (start: number, blocks: readonly Buffer[], log?: 'keys', named?: string | null) => {
      const target = targetOf(named)
      this.standbyTarget = target
      if (target) await holdAt(target).hold(start, blocks, log)
      await journal.hold(start, blocks, log)
    }
    if (standby) holdAt(standby)
    opts = { ...opts, beforeAppend: hold, standbyOf, journaled: true }
    // An old executor that still forwards here learns that this one writes the log now.
    if (this.standbyChannels) this.standbyChannels.responder = { fromExecutor: (_peer, _m, reply) => reply({ kind: 'fenced', length: this.index.length }) }
    const executor = new Executor(this.index, this.view, this.logs, this.holder, this.limits.maxOpBytes, opts)
    this.sealedRoot = toHex(this.view.state.root())
    executor.on('block', (block: BlockEvent) => {
      this.sealedRoot = toHex(block.seal.stateRoot)
      if (block.bytes) this.recentEntries.add(block.start, block.bytes)
      this.storeAdvanced(block.entries.length + 1)
      this.checkpointAt(block.seal.length)
      this.wake()
      this.emit('block', block)
    })
    executor.on('error', (err: Error) => {
      this.wake()
      if (this.listenerCount('error') > 0) this.emit('error', err)
    })
    // A store that lies to any read (a call, an API read, a proof) stops the executor: two-party rule.
    if (this.store) this.store.onDamage = (err) => executor.halt(err)
    this.executor = executor
    await executor.start()
  }

  /**
   * `entries` more are in the log (call on the committed head). The store takes the state every
   * STORE_COMMIT_ENTRIES, and once blocks stop coming for STORE_QUIET_MS: not after each block,
   * since each commit is a transaction with its sync, whose disk time the journal's syncs then
   * queue behind, and a store behind the log is caught up from it at the next open.
   */
  private storeAdvanced(entries: number): void {
    if (!this.store) return
    this.storeBehind += entries
    if (this.storeBehind >= STORE_COMMIT_ENTRIES) return this.commitStore()
    if (this.quietCommit) return void this.quietCommit.refresh()
    this.quietCommit = setTimeout(() => {
      this.quietCommit = null
      this.atHead(() => this.commitStore())
    }, STORE_QUIET_MS)
  }

  /**
   * The state store takes the state of the view; call on the committed head. In the background:
   * LMDB's write thread makes the transaction durable (its sync would otherwise hold every caller
   * and peer of this process for a fraction of a millisecond to several). One commit is in flight
   * at a time; what is asked for meanwhile is taken once it lands.
   */
  private commitStore(): void {
    this.cancelQuietCommit()
    const store = this.store
    if (!store || this.closing) return
    if (store.committing) {
      this.commitPending = true
      return
    }
    this.storeBehind = 0
    this.commitPending = false
    const length = this.view.length
    void store.commitInBackground(this.view).then((ok) => {
      if (ok) this.emit('stored', { length })
      if (this.commitPending && !this.closing) this.atHead(() => this.commitStore())
    })
  }

  /** Once the commit in flight has landed, the store takes what is left, here and now (settled, close). */
  private async commitStoreNow(): Promise<void> {
    this.cancelQuietCommit()
    const store = this.store
    if (!store) return
    await store.landed()
    if (this.storeBehind === 0 && !this.commitPending) return
    this.storeBehind = 0
    this.commitPending = false
    this.atHead(() => store.commit(this.view))
  }

  private cancelQuietCommit(): void {
    if (this.quietCommit) clearTimeout(this.quietCommit)
    this.quietCommit = null
  }

  /** Follows the index log as peers replicate it (a participant or reader without the executor). */
  private startFollower(): void {
    const onAdvance = (entries: number) => {
      this.storeAdvanced(entries)
      this.wake()
      this.emit('synced', { length: this.view.length })
    }
    this.follower = new IndexFollower(this.index, this.view, this.holder, onAdvance, (seq, bytes) => this.recentEntries.add(seq, [bytes]))
    this.follower.start()
  }

  /** Where the executor runs contract code, or null when this database runs no executor. */
  get runtime(): RuntimeMode | null {
    return this.executor?.runtimeMode ?? null
  }

  /** This peer's public key on the swarm (hex), or null when the database is not on the network. */
  get swarmKey(): string | null {
    return this.replicator?.publicKey ?? null
  }

  /** Roughly the memory the state map takes, in bytes (values kept in the state store are not in it). */
  get stateMapBytes(): number {
    return this.view.state.memoryBytes()
  }

  /** Peers connected now, or null when the database is not on the network. */
  get peers(): number | null {
    return this.replicator ? this.replicator.peers : null
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
    // Every ack waiter runs when no ack may come any more: each then finds its answer or its error.
    const ending = Boolean(this.executor?.failure ?? this.follower?.failure) || (!this.executor && !this.follower)
    for (const [origin, queue] of this.ackWaiters) {
      const all = ending || !this.view.isInput(origin)
      // Ops past the last one executed cannot be processed yet, nor can any after them. Below it, an
      // op may still wait for its block's append; whatever keeps one waiting there, it does not
      // hold back the waiters after it.
      const executed = this.view.nextSeq(origin)
      let end = 0
      while (end < queue.length && (all || queue[end].seq < executed)) end++
      if (end === 0) continue
      const woken: (() => void)[] = []
      const kept: typeof queue = []
      for (let i = 0; i < end; i++) {
        const w = queue[i]
        if (all || this.isProcessed({ origin, seq: w.seq })) woken.push(w.wake)
        else kept.push(w)
      }
      if (woken.length === 0) continue
      queue.splice(0, end, ...kept)
      if (queue.length === 0) this.ackWaiters.delete(origin)
      for (const wake of woken) wake()
    }
  }

  /** Resolves at the next wake that may have processed op `seq` of `origin`. */
  private ackWake(origin: string, seq: number): Promise<void> {
    return new Promise<void>((wake) => {
      let queue = this.ackWaiters.get(origin)
      if (!queue) this.ackWaiters.set(origin, (queue = []))
      let at = queue.length
      while (at > 0 && queue[at - 1].seq > seq) at--
      queue.splice(at, 0, { seq, wake })
    })
  }

  /** Calls a contract method; ops it emits are appended to the caller's oplog. */
  async call(method: string, params: Json = {}, opts: CallOptions = {}): Promise<CallResult> {
    const readOnly = opts.readOnly || this.readOnly
    const { pubkey, oplog } = await this.callerOplog(opts.as, readOnly)
    const holder = this.holder
    const view = this.view
    const published = await callMethod(method, params, {
      // Read when the method runs, on the committed head: a block still being executed may have switched it.
      get vm() {
        return holder.vm
      },
      state: view.state,
      oplog,
      get isWriter() {
        return !readOnly && pubkey !== undefined && view.isInput(pubkey)
      },
      maxOpBytes: this.limits.maxOpBytes,
      atHead: (fn) => this.atHead(fn),
      ...(this.confidential && oplog ? { seal: (op: Buffer) => sealOp(this.confidential!.keyring, oplog.key, op) } : {}),
      ...(this.journal ? { append: this.journal.append.bind(this.journal) } : {}),
    }).catch((err: unknown) => {
      // A copy answers methods that only read; one that emits ops would append to the copy's oplog.
      if (this.readOnly && !opts.readOnly && (err as { code?: unknown }).code === 'NO_OPLOG') throw copiedDirectoryError(this.dir, 'publish ops')
      throw err
    })
    return { ...published, whenProcessed: () => this.whenProcessed(published.ops) }
  }

  /**
   * A dry run: a speculative block of one call on the sealed head, pruned at once (see speculate).
   * Nothing is published or kept; the answer shows each op's outcome and changes and the state root
   * the ops would leave. Ops still waiting in oplogs are not run first, and an op that switches the
   * contract ends the preview.
   */
  async preview(method: string, params: Json = {}, opts: CallOptions = {}): Promise<Preview> {
    const run = await this.speculate([{ calls: [{ method, params, ...(opts.as === undefined ? {} : { as: opts.as }) }], ts: Date.now() }])
    return {
      method,
      response: run.responses[0] ?? null,
      head: run.head,
      ops: run.ops.map(({ op, success, error, metadata, changes, stateRoot }) => ({ op, success, error, metadata, changes, stateRoot })),
      stateRoot: run.stateRoot,
    }
  }

  /**
   * Answers a signed query (src/participant/query.ts, docs/protocol.md §16) if the contract's
   * authorize() allows it for the key that signed it: the method runs as a read on the sealed head,
   * and the answer, signed with this directory's own key (its claims log's), names that head. A
   * query that is not authorized, names no method, or would emit ops gets QUERY_REFUSED, the same
   * error in every case, so a refusal tells nothing of the state.
   */
  async answerQuery(value: unknown): Promise<Answer> {
    const query = checkQuery(value, this.key)
    const claims = await this.logs.localClaims()
    const secretKey = claims.keyPair?.secretKey
    if (!secretKey) throw new DatabaseError('READ_ONLY', 'this directory holds no key pair of its own to sign answers with')
    if (!this.holder.vm.isReady) await this.holder.vm.ready()
    const { at, proof } = await this.atSeal(() => {
      const vm = this.holder.vm
      const refused = () => new QueryError('QUERY_REFUSED', REFUSED_MESSAGE)
      if (!vm.isReady || !vm.methods.includes(query.method)) throw refused()
      if (!vm.authorize({ method: query.method, params: query.params }, query.by, this.view.state)) throw refused()
      try {
        const r = vm.call(query.method, query.params, { state: this.view.state, isWriter: false, oplog: null })
        // A query reads; a method that would publish ops is not one.
        if (r.ops.length > 0) throw refused()
        return { result: r.response, error: null }
      } catch (err) {
        if (err instanceof QueryError) throw err
        return { result: null, error: (err as Error).message }
      }
    })
    return signAnswer({ database: this.key, query: queryHash(query), length: at.seal.length, stateRoot: toHex(at.seal.stateRoot), ...proof }, new Uint8Array(secretKey))
  }

  /**
   * A tree of speculative blocks above the sealed head (src/executor/block-tree.ts): what-if
   * branches of calls, each executed on its parent's state, kept until pruned, reset or committed.
   */
  blockTree(): BlockTree {
    return new BlockTree({
      speculate: (path) => this.speculate(path),
      publish: async (calls) => {
        const ops: CommitResult['ops'] = []
        for (const c of calls) {
          const results = await (await this.call(c.method, c.params ?? {}, c.as === undefined ? {} : { as: c.as })).whenProcessed()
          for (const r of results) ops.push({ method: c.method, success: r.success, error: r.error })
        }
        const { at } = await this.atSeal(() => null)
        return { ops, stateRoot: toHex(at.seal.stateRoot) }
      },
    })
  }

  /**
   * Executes `path` (blocks of calls, each call's ops stamped with its block's time) on the sealed
   * head and takes all of it back: synchronously at a block boundary, so the executor, readers,
   * proofs and peers never see any of it. Returns what the last block did. An op that switches the
   * contract ends the run (the ops after it would need the new contract loaded).
   */
  async speculate(path: readonly PathBlock[]): Promise<PathRun> {
    const callers = new Map<string | undefined, Awaited<ReturnType<Database['callerOplog']>>>()
    for (const block of path) for (const c of block.calls) if (!callers.has(c.as)) callers.set(c.as, await this.callerOplog(c.as, this.readOnly))
    if (!this.holder.vm.isReady) await this.holder.vm.ready()
    const systemKeys = { index: this.key, signer: this.signer }
    const { at, proof } = await this.atSeal(() => {
      // The head's VM: a block still being executed may have switched the contract.
      const vm = this.holder.vm
      if (!vm.isReady) throw new DatabaseError('NOT_READY', 'the contract of the sealed head is still loading; try again')
      const undo: Undo[] = []
      const start = this.view.length
      const previousLastSeq = new Map<string, number | undefined>()
      const entries: OpEntry[] = []
      const nextSeq = new Map<string, number>()
      let responses: Json[] = []
      let ops: SpeculativeOp[] = []
      try {
        run: for (const block of path) {
          responses = []
          ops = []
          for (const c of block.calls) {
            const { pubkey, oplog } = callers.get(c.as)!
            const prepared = prepareCall(c.method, c.params ?? {}, {
              vm,
              state: this.view.state,
              oplog,
              isWriter: pubkey !== undefined && this.view.isInput(pubkey),
              maxOpBytes: this.limits.maxOpBytes,
            })
            responses.push(prepared.response)
            const origin = prepared.origin ?? ''
            for (let i = 0; i < prepared.blocks.length; i++) {
              const seq = nextSeq.get(origin) ?? oplog?.length ?? 0
              nextSeq.set(origin, seq + 1)
              const draft = executeOp(vm, { origin, seq, bytes: prepared.blocks[i], oplogLength: seq + 1, oplogHash: new Uint8Array(32) }, this.view.state, { ts: block.ts, maxOpBytes: this.limits.maxOpBytes, systemKeys })
              if (!previousLastSeq.has(origin)) previousLastSeq.set(origin, this.view.lastSeq.get(origin))
              const entry = finishEntry(draft, this.view, undo).entry
              entries.push(entry)
              const { success, error, metadata } = entry.ack
              ops.push({ method: c.method, op: prepared.ops[i], success, error, metadata, changes: entry.changes, stateRoot: toHex(entry.stateRoot) })
              if (draft.changes.some((ch) => ch.key === SYS.source)) break run
            }
          }
        }
        return { responses, ops, stateRoot: toHex(this.view.state.root()) }
      } finally {
        // The branch is pruned before anything else runs: the state and the acks are the head's again.
        this.view.state.revert(undo)
        this.view.forgetOps(entries, start, previousLastSeq)
      }
    })
    return { head: { length: at.seal.length, stateRoot: toHex(at.seal.stateRoot) }, ...proof }
  }

  /** The local oplog a call or a dry run goes as: `as`, or the first one; none for a read-only caller. */
  private async callerOplog(as: string | undefined, readOnly: boolean): Promise<{ pubkey: string | undefined; oplog: Hypercore | null }> {
    const name = as ?? Object.keys(this.manifest.oplogs)[0]
    const pubkey = name === undefined ? undefined : this.manifest.oplogs[name]
    if (as !== undefined && pubkey === undefined) {
      throw new UsageError('UNKNOWN_OPLOG', `no local oplog named "${as}" (have: ${Object.keys(this.manifest.oplogs).join(', ') || 'none'})`)
    }
    return { pubkey, oplog: name === undefined || readOnly ? null : await this.logs.localOplog(name) }
  }

  /** Waits until every op has an ack in the index, and returns what each op became. */
  async whenProcessed(ops: readonly OpRef[]): Promise<OpResult[]> {
    const results: OpResult[] = []
    for (const ref of ops) {
      const at = await this.waitForAck(ref, () => {
        const found = this.view.ackOf(ref.origin, ref.seq)
        // The executor folds an op before its block is appended and synced (Hypercore reads the
        // block back from storage, and counts it in its length, even before that): answer only once
        // the committed head holds it, as what the answer leads to (a receipt, a proof) reads it.
        if (found) return found.seq < this.processedLength() ? found : undefined
        // Processed, but before the history this replica holds (it started from a state checkpoint,
        // which carries positions, not acks): no wake would ever answer it.
        if (ref.seq < this.view.nextSeq(ref.origin)) {
          throw new DatabaseError(
            'ACK_BEFORE_HISTORY',
            `op ${ref.seq} of oplog ${ref.origin.slice(0, 8)}… was processed before the state checkpoint this replica started from, so it holds no ack for it: ask a replica that holds the whole log`,
          )
        }
        if (this.view.isInput(ref.origin)) return undefined
        throw new DatabaseError(
          'OPLOG_NOT_INPUT',
          `op ${ref.seq} of oplog ${ref.origin.slice(0, 8)}… will not be processed: that oplog is not an input (it was removed)`,
        )
      })
      const entry = decodeEntry(this.recentEntries.get(at.seq) ?? (await this.readIndex(at.seq))) as OpEntry
      const { success, error, ts, metadata } = entry.ack
      results.push({ ...ref, index: at.seq, success, error, ts, metadata, changes: entry.changes })
    }
    return results
  }

  /** Whether the index acknowledges the op now (what `whenProcessed` would answer without waiting). */
  isProcessed(ref: { origin: string; seq: number }): boolean {
    const found = this.view.ackOf(ref.origin, ref.seq)
    return found !== undefined && found.seq < this.processedLength()
  }

  /** Entries before this length are in the log and on the committed head. */
  private processedLength(): number {
    return Math.min(this.index.length, this.executor?.committedLength ?? Infinity)
  }

  private async waitForAck<T>(ref: OpRef, check: () => T | undefined): Promise<T> {
    for (;;) {
      const found = check()
      if (found !== undefined) return found
      if (!this.executor && !this.follower) throw new UsageError('NO_EXECUTOR', 'this database has no running executor to process ops, and is not following one over the network')
      const failure = this.executor?.failure ?? this.follower?.failure
      if (failure) throw failure
      await this.ackWake(ref.origin, ref.seq)
    }
  }

  private async readIndex(seq: number): Promise<Uint8Array> {
    const block = await this.index.get(seq)
    if (!block) throw new DatabaseError('ENTRY_MISSING', `index entry ${seq} is not available`)
    return block
  }

  /** Resolves when the executor has processed every op available now, and the state store holds their state. */
  async settled(): Promise<void> {
    await this.executor?.idle()
    await this.follower?.idle()
    await this.commitStoreNow()
  }

  /** The entry at `key`, or null; with `{proof: true}`, the value with a proof a third party can check. */
  get(key: string): StateEntry | null
  get(key: string, opts: { proof: true }): Promise<ProvenRead>
  get(key: string, opts?: { proof: true }): StateEntry | null | Promise<ProvenRead> {
    if (opts?.proof) return this.proveRead(key)
    const value = this.executor ? this.executor.committedValue(key) : this.view.state.get(key)
    return value === undefined ? null : { key, value }
  }

  /** A state proof of `key` (its value or its absence) at the latest signed state root (protocol §9.1). */
  private async proveRead(key: string): Promise<ProvenRead> {
    const { at, proof: read } = await this.atSeal(() => ({ proof: proveKey(this.view.state, key), value: this.view.state.get(key) }))
    const anchor = await signedSealAt(this.index, at.position, signerOf(this.index))
    const proof: StateProofFile = { format: PROOF_FORMAT, kind: 'state', key: this.key, anchor, proof: read.proof }
    return { key, found: read.value !== undefined, value: read.value ?? null, proof }
  }

  /**
   * A receipt for processed ops (protocol §9.2): each op's inclusion in its oplog at the root the
   * executor acknowledged, its entry's inclusion in the index log, and proofs of the keys it changed,
   * all under the latest seal. Waits for the ops to be processed first.
   */
  async receipt(ops: readonly OpRef[]): Promise<ReceiptFile> {
    const results = await this.whenProcessed(ops)
    const { at, proof: proofs } = await this.atSeal(() =>
      results.map((r) => [...new Set(r.changes.map((c) => c.key))].map((k) => proveKey(this.view.state, k))),
    )
    const anchor = await signedSealAt(this.index, at.position, signerOf(this.index))
    const receiptOps: ReceiptOp[] = []
    for (let i = 0; i < results.length; i++) {
      const r = results[i]
      const entry = await proveEntry(this.index, r.index, at.seal.length)
      const { ack } = decodeEntry(fromHex(entry.entry)) as OpEntry
      const oplog = await this.logs.byPubkey(r.origin)
      const bytes = await oplog.get(r.seq)
      if (!bytes) throw new DatabaseError('OP_MISSING', `op ${r.seq} of oplog ${r.origin.slice(0, 8)}… is not available`)
      const inclusion = await proveInclusion(oplog, r.seq, ack.oplogLength)
      receiptOps.push({ op: { bytes: toHex(bytes), inclusion }, entry, state: proofs[i] })
    }
    return { format: PROOF_FORMAT, kind: 'receipt', key: this.key, anchor, ops: receiptOps }
  }

  /**
   * Runs `fn` at a block boundary, when the local state is exactly what the latest seal signs: the
   * executor's committed head (blocks it is still executing or appending are taken back meanwhile),
   * or, following a remote executor, the view once it ends with a seal.
   */
  private atSeal<T>(fn: () => T): Promise<{ at: SealedAt; proof: T }> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => this.atHead(() => {
        const at = this.view.lastSeal
        // The executor folds a seal before its append and sync: wait until the log holds it.
        if (!at || at.position !== this.view.length - 1 || at.position >= this.index.length) {
          const failure = this.executor?.failure ?? this.follower?.failure
          if (failure) reject(failure)
          else if (!this.executor && !this.follower) reject(new DatabaseError('NOT_SEALED', 'the index log does not end with a seal and no executor runs to add one'))
          else return false
          return true
        }
        try {
          resolve({ at, proof: fn() })
        } catch (err) {
          reject(err)
        }
        return true
      })
      if (attempt()) return
      const w = () => {
        if (attempt()) this.waiters.delete(w)
      }
      this.waiters.add(w)
    })
  }

  /**
   * The state checkpoint at the latest seal (docs/protocol.md §12): the state in chunks of
   * `chunkSize` entries, each provable against the seal's state root, and the oplog positions. In
   * the clear, also for a confidential database (its member asks): what is kept is sealed.
   */
  async stateCheckpoint(chunkSize?: number): Promise<StateCheckpoint> {
    const { proof } = await this.atSeal(() => makeStateCheckpoint(this.view, this.index.key, signerOf(this.index), chunkSize))
    return proof
  }

  /**
   * Takes a state checkpoint and keeps it in D/state-checkpoints/<length>, where `serve` serves it;
   * a confidential database's is sealed under the epoch in force at its length (§17.8).
   */
  async writeStateCheckpoint(chunkSize?: number): Promise<{ manifest: StateCheckpointManifest; path: string; sealed: boolean }> {
    const cp = await this.stateCheckpoint(chunkSize)
    return { manifest: cp.manifest, path: await this.keepCheckpoint(cp), sealed: this.confidential !== null }
  }

  /** Writes a checkpoint to the directory: sealed when the database is confidential, so no value is kept or served in the clear. */
  private async keepCheckpoint(cp: StateCheckpoint): Promise<string> {
    return writeStateCheckpoint(this.dir, this.confidential ? await sealStateCheckpoint(cp, this.confidential.keyring) : cp)
  }

  /**
   * The latest seal as a C2SP checkpoint in a signed note (docs/protocol.md §8.5): what witness
   * and transparency-log tooling read, and what monitors cosign.
   */
  async checkpoint(): Promise<LogCheckpoint> {
    const { at } = await this.atSeal(() => null)
    return checkpointOfSeal(this.index, at.seal)
  }

  /**
   * An RFC 9162 proof over the accumulator: with `inclusion`, of that entry in the tree of `size`
   * entries; with `consistency`, from the tree of that many entries to the one of `size`. `size`
   * defaults to the latest checkpoint's.
   */
  async accumulatorProof(ask: { inclusion: number; size?: number } | { consistency: number; size?: number }): Promise<AccumulatorProof> {
    const size = ask.size ?? (await this.checkpoint()).size
    if ('inclusion' in ask) return accumulatorInclusion(this.index, ask.inclusion, size)
    return accumulatorConsistency(this.index, ask.consistency, size)
  }

  /**
   * Entries under `prefix`, read as a path the way contracts read it (`/values` lists `/values/…`);
   * the empty prefix lists everything. `.sys/` keys only when the prefix asks for them.
   */
  list(prefix = '', opts: ListOptions = {}): StateEntry[] {
    const entries = this.atHead(() => this.view.state.list(prefix === '' ? '' : normalizePrefix(prefix), opts))
    return prefix.startsWith('.sys/') ? entries : entries.filter((e) => !e.key.startsWith('.sys/'))
  }

  /** Entries of the index log, or ops of an oplog (by public key or local name). */
  async history(opts: HistoryOptions = {}): Promise<HistoryItem[]> {
    const log = opts.log ?? 'index'
    const pubkey = log === 'index' ? this.key : (this.manifest.oplogs[log] ?? log)
    if (!isPubkeyHex(pubkey)) {
      throw new UsageError('UNKNOWN_LOG', `"${log}" is neither "index", a local oplog name, nor a 64-character hex key`)
    }
    const core = pubkey === this.key ? this.index : await this.logs.byPubkey(pubkey)
    const keyring = this.confidential?.keyring
    return readHistory(core, pubkey === this.key ? 'index' : 'oplog', opts, keyring ? (block) => openOp(keyring, core, block) : undefined)
  }

  /** Creates another local oplog (not yet an input: the contract must add it). */
  async createOplog(name: string): Promise<string> {
    if (this.manifest.oplogs[name]) throw new UsageError('OPLOG_EXISTS', `a local oplog named "${name}" exists`)
    if (this.readOnly) throw copiedDirectoryError(this.dir, 'create oplogs')
    const pubkey = toHex((await this.logs.localOplog(name)).key)
    this.manifest = { ...this.manifest, oplogs: { ...this.manifest.oplogs, [name]: pubkey } }
    await writeManifest(this.dir, this.manifest)
    return pubkey
  }

  async info(): Promise<DatabaseInfo> {
    const vm = await this.readyVM()
    const oplogs = []
    for (const [name, pubkey] of Object.entries(this.manifest.oplogs)) {
      const core = await this.logs.byPubkey(pubkey)
      oplogs.push({ name, pubkey, length: core.length, input: this.atHead(() => this.view.isInput(pubkey)) })
    }
    return {
      key: this.key,
      signer: this.signer,
      protocol: PROTOCOL,
      runtime: this.view.runtime ?? '',
      length: this.length,
      executor: this.executor !== null,
      inputs: this.atHead(() => this.view.inputs()),
      oplogs,
      contract: { bytes: Buffer.byteLength(this.source), methods: vm.methods, notStatic: vm.notStatic, compiledFromCache: vm.compiledFromCache },
      // The contract's keys: the system's own (`.sys/`: source, inputs) are not state it wrote.
      keys: this.atHead(() => this.view.state.size) - this.list('.sys/').length,
      readOnly: this.readOnly,
      stateRoot: this.sealedRoot ?? toHex(this.view.state.root()),
      sandbox: await readSandboxMark(this.dir),
      confidential: await this.confidentialInfo(),
      failover: { standby: this.standbyTarget === undefined ? this.manifest.standby ?? null : this.standbyTarget, namedByContract: vm.methods.includes(STANDBY_METHOD), standingBy: this.standbyRole !== null, tookOver: existsSync(path.join(this.dir, EXECUTOR_KEY_FILE)) },
    }
  }

  private async confidentialInfo(): Promise<DatabaseInfo['confidential']> {
    if (!this.confidential) return null
    const { settings, keyring } = this.confidential
    await keyring.refresh()
    return { ...settings, epoch: keyring.latest, member: keyring.holds(keyring.latest) }
  }

  /**
   * Makes `monitor` (from monitor()) claim what it verifies into this directory's claims log
   * (docs/protocol.md §11); the log's key pair, kept in the directory, is the monitor's identity.
   */
  async claimer(monitor: Monitor, opts: ClaimerOptions = {}): Promise<Claimer> {
    // Time anchoring is sound only where appends are seen as they happen: in the executor's own directory.
    return Claimer.attach(monitor, new ClaimsLog(await this.logs.localClaims()), this.key, this.signer, { anchorTime: this.index.writable, ...opts })
  }

  /**
   * This directory's party to disputes (docs/protocol.md §13), under the key pair of the directory's
   * claims log (the monitor's identity): as defender it stands by the roots the executor signed into
   * the index log; as challenger it re-executes the range and disputes what the contract does not give.
   */
  async disputeParty(): Promise<LocalParty> {
    this.dispute ??= (async () => {
      const claims = await this.logs.localClaims()
      const secretKey = claims.keyPair?.secretKey
      if (!secretKey) throw new DatabaseError('READ_ONLY', 'this directory holds no key pair of its own to sign disputes with')
      const logs = this.replayLogs()
      return new LocalParty(new Uint8Array(secretKey), (open, role) => (role === 'defender' ? new SignedRoots(logs) : new ReplayedRoots(logs, open.from)))
    })()
    return this.dispute
  }

  /**
   * Opens a dispute as challenger against `defender`'s root `toRoot` at length `to` (default: the
   * last seal), agreeing at `from` (default: right after genesis); refused with NO_DISPUTE when this
   * directory's replay reaches that very root.
   */
  async openDispute(p: { defender: string; toRoot: string; from?: number; to?: number; deadline?: number }): Promise<DisputeOpen> {
    const logs = this.replayLogs()
    const bounds = await disputeBounds(logs)
    const range = rangeWithin(bounds, p.from, p.to)
    const party = await this.disputeParty()
    return party.challenge({ database: this.key, anchor: bounds.anchor, ...range, toRoot: p.toRoot, defender: p.defender, deadline: p.deadline ?? DEFAULT_DEADLINE_MS })
  }

  private replayLogs(): ReplayLogs {
    return { index: this.index, oplog: (pubkey: string) => this.logs.byPubkey(pubkey), ...(this.confidential ? { keyring: this.confidential.keyring } : {}) }
  }

  /**
   * A proof of execution for entries from..to-1 under the seal at `to` (docs/protocol.md §11.6), or,
   * if the range breaks the contract, that breach's fraud proof. `from` 0: right after genesis.
   */
  async executionProof(from: number, to: number): Promise<ExecutionAnswer> {
    return proveExecutionRange(this.replayLogs(), from, to)
  }

  /** Replays the logs from the start (or from a checkpoint) and checks every entry. */
  async verify(opts: MonitorOptions = {}): Promise<VerifyReport> {
    const monitor = this.newMonitor(opts)
    try {
      await monitor.open()
      return await monitor.verifyToHead()
    } finally {
      await monitor.stop()
    }
  }

  /**
   * A monitor that verifies everything now and keeps following the logs; it emits `violation`,
   * `verified` and `error`. Stop it with `monitor.stop()` (closing the database stops it too).
   */
  async monitor(opts: MonitorOptions = {}): Promise<Monitor> {
    const monitor = this.newMonitor(opts)
    await monitor.open()
    this.monitors.add(monitor)
    void monitor.watch().catch((err) => monitor.emit('error', err))
    return monitor
  }

  private newMonitor(opts: MonitorOptions): Monitor {
    return new Monitor(this.replayLogs(), opts)
  }

  /**
   * Writes the executor's key pair to `file` (glassbox-key/1, owner-only, never overwritten), for a
   * standby to hold (docs/protocol.md §18). Only the directory that holds the key pair can.
   */
  async writeExecutorKey(file: string): Promise<string> {
    const secretKey = this.index.keyPair?.secretKey
    if (!this.index.writable || !secretKey) throw new DatabaseError('NOT_EXECUTOR', `${this.dir} does not hold the executor's key pair (run this where the database was created)`)
    // A confidential database's executor also signs its keys log: the standby needs that key pair too.
    const keysLog = this.confidential ? this.confidential.keyring.keysLog.keyPair?.secretKey ?? null : null
    if (this.confidential && !keysLog) throw new DatabaseError('NOT_EXECUTOR', `${this.dir} does not hold the keys log's key pair`)
    await writeExecutorKeyFile(file, { index: secretKey, keysLog })
    return this.signer
  }

  /**
   * Makes this replica the executor's standby (docs/protocol.md §18): it holds each block the
   * executor forwards, and emits `silent` when the executor has said nothing for `takeoverAfterMs`.
   * `keys` are the executor's key pairs (`readExecutorKeyFile`); the caller takes over with `takeOver`.
   * A confidential database's standby is opened with the executor's key as its reader key (`readerKey`).
   */
  async standBy(keys: ExecutorKeys, opts: StandbyOptions): Promise<Standby> {
    if (this.executor || !this.standbyChannels || !this.follower) throw new UsageError('USAGE', `${this.dir}: a standby is a replica of the database on the network, not its executor`)
    const given = toHex(keys.index.publicKey)
    if (given !== this.signer) throw new UsageError('USAGE', `the key pair given (${given.slice(0, 8)}…) is not the executor's (${this.signer.slice(0, 8)}…)`)
    const keysLog = this.confidential?.keyring.keysLog ?? null
    if (keysLog && (!keys.keysLog || !keys.keysLog.publicKey.equals(signerOf(keysLog)))) {
      throw new UsageError('USAGE', "the key file has no key pair for this confidential database's keys log (write it with `glassbox key FILE --executor` again)")
    }
    // Every op the log acknowledges is fetched, and kept coming as the log grows: after a takeover
    // the executor's own oplogs are gone with it, and the log must still verify here. The standby
    // holds no block before it has the ops acknowledged so far (the executor, forwarding, serves them).
    await this.follower.idle()
    // The whole index too, for a replica started from a checkpoint: the log must stay served whole
    // once the executor that held it is gone.
    this.oplogDownloads.set(this.key, this.index.download({ start: 0, end: -1 }))
    const backfill = this.keepOplogs(true)
    backfill.catch(() => {}) // a close meanwhile: nothing waits for it then
    this.on('synced', () => void this.keepOplogs(false).catch(() => {}))
    this.standbyRole = await Standby.open(this.index, keysLog, this.dir, opts, { flush: () => this.logs.flush(), oplog: (pubkey) => this.logs.byPubkey(pubkey), backfill })
    this.standbyChannels.responder = this.standbyRole
    return this.standbyRole
  }

  /**
   * Downloads every oplog whose ops the log acknowledges, and every active input (so that ops arrive
   * here while the executor runs them), whole and live; `wait`: until what is acked is here.
   */
  private async keepOplogs(wait: boolean): Promise<void> {
    const acked = new Map<string, number | undefined>(this.view.inputs().map((k) => [k, undefined]))
    for (const [origin, seq] of this.view.lastSeq) acked.set(origin, seq)
    await Promise.all(
      [...acked].map(async ([origin, seq]) => {
        const core = await this.logs.byPubkey(origin)
        if (!this.oplogDownloads.has(origin)) this.oplogDownloads.set(origin, core.download({ start: 0, end: -1 }))
        if (wait && seq !== undefined) await core.download({ start: 0, end: seq + 1 }).done()
      }),
    )
  }

  /**
   * Whether this standby may take over now (docs/protocol.md §18.4). When the contract names the
   * standby, the state this replica knows (its log, then the blocks it holds beyond it) must name
   * this instance: every block is held by the standby its predecessor names, so at most one standby
   * is named by everything it holds. `named`: what the contract names (undefined: it names none).
   */
  async takeoverNamed(): Promise<{ eligible: boolean; named: string | null | undefined }> {
    if (!this.standbyRole) throw new UsageError('USAGE', `${this.dir} is not a standby`)
    const namesStandby = (await this.methods()).includes(STANDBY_METHOD)
    // Not waiting for the follower: it may wait for ever for blocks whose data never came (the
    // executor died after the upgrade reached this replica). The entries after the view are read
    // here instead, from the replica or else from the held blocks; folding again a change the
    // view already holds is harmless, since each change says the value a key ends with.
    const from = this.view.length
    const held = this.standbyRole.heldIndexAt(from)
    const end = Math.max(this.index.length, this.standbyRole.knownLength())
    const blocks: Uint8Array[] = []
    for (let at = from; at < end; at++) {
      const block = (at < this.index.length ? await this.index.get(at, { wait: false }) : null) ?? held.get(at) ?? null
      // A block not here at all: no naming can be read past it. A contract that names none takes over as ever.
      if (!block) return namesStandby ? { eligible: false, named: undefined } : { eligible: true, named: undefined }
      blocks.push(block)
    }
    const changes = blocks.flatMap((b) => entryChanges(decodeEntry(b)))
    // A contract changed in what is held names with its own code.
    const source = changes.filter((c) => c.key === SYS.source && c.type === 'put').pop()
    const vm = source && source.type === 'put' && typeof source.value === 'string' ? await ContractVM.create(source.value) : this.holder.vm
    await vm.ready()
    try {
      const named = namedStandby(vm, stateWith(this.view.state, changes))
      return { eligible: named === undefined || named === this.swarmKey, named }
    } finally {
      if (vm !== this.holder.vm) vm.dispose()
    }
  }

  /**
   * The standby takes over: it answers the old executor "fenced" from now on, keeps the executor's
   * key pair in the directory, and closes. Opening the directory again runs the executor, which
   * appends the blocks held and the handover seal first (failover/takeover.ts).
   */
  async takeOver(keys: ExecutorKeys): Promise<void> {
    if (!this.standbyRole) throw new UsageError('USAGE', `${this.dir} is not a standby`)
    const notNamed = (named: string | null | undefined) =>
      new DatabaseError('STANDBY_NOT_NAMED', `${this.dir}: the contract names ${named ? `the standby ${named.slice(0, 8)}…` : 'no standby'}, not this one (${this.swarmKey?.slice(0, 8)}…): it does not take over`)
    const before = await this.takeoverNamed()
    if (!before.eligible) throw notNamed(before.named)
    // Asked again once fenced, over what is held for good: a block held in between may name another.
    // Fenced then, this standby stays so (the executor it fenced could not append without it).
    this.standbyRole.fence()
    await this.standbyRole.settled()
    const after = await this.takeoverNamed()
    if (!after.eligible) throw notNamed(after.named)
    await beginTakeover(this.dir, { index: keys.index.secretKey, keysLog: keys.keysLog?.secretKey ?? null })
    await this.close()
  }

  async close(): Promise<void> {
    for (const m of this.monitors) await m.stop()
    this.monitors.clear()
    // A block waiting for the standby fails now: the executor can stop.
    this.standbyHold?.close()
    await this.standbyRole?.close()
    for (const d of this.oplogDownloads.values()) d.destroy()
    await this.executor?.stop()
    this.executor = null
    await this.journal?.close()
    this.journal = null
    this.closing = true
    await this.commitStoreNow()
    await this.checkpointing
    await this.follower?.stop()
    this.follower = null
    // Before the logs close, so no peer is served a log in the middle of closing.
    await this.replicator?.close()
    this.replicator = null
    await this.store?.close(this.view.state)
    this.wake()
    this.holder.vm.dispose()
    await this.logs.close()
  }
}

/** Refuses a log another protocol version wrote: its entries would not decode, or would mean something else. */
async function checkProtocol(dir: string, index: Hypercore): Promise<void> {
  const first = index.length > 0 ? await index.get(0, { wait: false }) : null
  if (!first) return
  let protocol: string | null = null
  try {
    const header = decodeEntry(first)
    if (header.type === 'header') protocol = header.protocol
  } catch {
    return // Not a header at all: loading says what is wrong with it.
  }
  if (protocol !== null && protocol !== PROTOCOL) {
    throw new DatabaseError('PROTOCOL_MISMATCH', `${dir} was written in protocol "${protocol}", but this Glassbox speaks ${PROTOCOL}; open it with the Glassbox version that made it`)
  }
}
