// A disk that loses power: what survives is what the last completed sync made durable, the way
// LazyFS drops a file system's unsynced writes. Hypercore 11 stores logs in RocksDB, which never
// fsyncs its write-ahead log (rocksdb-native writes without `sync`): the only thing that makes data
// durable is a memtable flush, which writes and fsyncs SST and blob files and the MANIFEST. So the
// durable state of a directory is captured at the end of every RocksDB flush that touches it:
// everything but the write-ahead log (`*.log`) and the state store (which a load rebuilds from the
// log, so losing it is within the model and keeps the copy free of LMDB's own timing). A block
// journal (the executor's, a standby's) is datasynced record by record: its durable content is
// captured after every record and every compaction, into the copy of the last flush.

import { createRequire } from 'node:module'
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { BlockJournal } from '../../src/log/block-journal.js'

interface RocksSession {
  path: string
}
type Flush = (this: RocksSession, ...args: unknown[]) => Promise<void>

const disks = new Set<PowerLossDisk>()
let patched = false

/** Wraps RocksDB's flush and the journals' syncs once per process, so every disk sees the syncs of its own directory. */
function watchFlushes(): void {
  if (patched) return
  patched = true
  for (const method of ['appendAll', 'compact'] as const) {
    const original = BlockJournal.prototype[method] as (this: BlockJournal, ...args: unknown[]) => Promise<void>
    ;(BlockJournal.prototype[method] as unknown) = async function (this: BlockJournal, ...args: unknown[]) {
      await original.apply(this, args)
      for (const disk of disks) disk.journalSynced(this.file)
    }
  }
  const requireHere = createRequire(import.meta.url)
  const requireStorage = createRequire(requireHere.resolve('hypercore-storage'))
  const RocksDB = requireStorage('rocksdb-native') as { prototype: { flush: Flush } }
  const flush = RocksDB.prototype.flush
  RocksDB.prototype.flush = async function (this: RocksSession, ...args: unknown[]) {
    await flush.apply(this, args)
    // Synchronously, before the caller resumes: nothing it does next can slip into this copy.
    for (const disk of disks) if (path.resolve(this.path) === disk.dbPath) disk.synced()
  }
}

const DURABLE = /^(\d+\.(sst|blob)|CORESTORE)$/

export class PowerLossDisk {
  readonly dbPath: string
  private copies = 0
  private latest: string | null = null
  private cutOff = false

  /** Watches `dir` (a database directory); call `synced()` once for its state at start-up. */
  constructor(readonly dir: string) {
    this.dbPath = path.resolve(dir, 'cores', 'db')
    watchFlushes()
    disks.add(this)
  }

  /** How many syncs were captured. */
  get syncs(): number {
    return this.copies
  }

  /** Captures the directory as a power loss now would leave it. */
  synced(): void {
    if (this.cutOff) return
    const target = `${this.dir}.durable-${++this.copies}`
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(target, { recursive: true, force: true })
        copyDurable(this.dir, target, this.dbPath)
        break
      } catch (err) {
        // A compaction removed a file between listing and linking it: copy again.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 20) throw err
      }
    }
    if (this.latest) rmSync(this.latest, { recursive: true, force: true })
    this.latest = target
  }

  /** A journal in the directory synced a record: the copy of the last flush gets the file as it is now. */
  journalSynced(file: string): void {
    const relative = path.relative(path.resolve(this.dir), path.resolve(file))
    if (this.cutOff || !this.latest || relative.startsWith('..')) return
    copyFileSync(file, path.join(this.latest, relative))
  }

  /** The power goes out: returns the directory holding what survived; later syncs are ignored. */
  cut(): string {
    if (!this.latest) throw new Error(`no sync of ${this.dir} was captured`)
    this.cutOff = true
    disks.delete(this)
    return this.latest
  }

  /** Removes the surviving copy (and stops watching, if the power never went out). */
  dispose(): void {
    disks.delete(this)
    if (this.latest) rmSync(this.latest, { recursive: true, force: true })
  }
}

function copyDurable(from: string, to: string, dbPath: string): void {
  mkdirSync(to, { recursive: true })
  const isDb = path.resolve(from) === dbPath
  if (isDb) {
    // Background compactions run while this copies. Every table file is linked first (a link keeps
    // it even when RocksDB deletes it next), then the MANIFEST that names the live ones is copied,
    // then the tables written meanwhile are linked: every file the copied MANIFEST names is there.
    linkTables(from, to)
    const current = readFileSync(path.join(from, 'CURRENT'), 'utf8').trim()
    copyFileSync(path.join(from, current), path.join(to, current))
    copyFileSync(path.join(from, 'CURRENT'), path.join(to, 'CURRENT'))
    linkTables(from, to)
  }
  for (const name of readdirSync(from)) {
    const source = path.join(from, name)
    const target = path.join(to, name)
    if (name === 'state' && path.dirname(dbPath) === path.join(path.resolve(from), 'cores')) continue
    if (statSync(source).isDirectory()) {
      copyDurable(source, target, dbPath)
    } else if (isDb) {
      if (name.endsWith('.log') || name === 'CURRENT' || name.startsWith('MANIFEST-') || DURABLE.test(name)) continue
      copyFileSync(source, target)
    } else if (DURABLE.test(name)) {
      linkSync(source, target)
    } else {
      copyFileSync(source, target)
    }
  }
}

/** Links the RocksDB table and blob files of `from` not linked into `to` yet; immutable once written. */
function linkTables(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    if (!DURABLE.test(name) || existsSync(path.join(to, name))) continue
    try {
      // The device file keeps its inode, so Hypercore takes the copy as the original.
      linkSync(path.join(from, name), path.join(to, name))
    } catch (err) {
      // Deleted by a compaction since the listing: the MANIFEST copied after this does not name it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}
