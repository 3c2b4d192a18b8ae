// A contract's compiled form (compile.ts: its factory, and whether its module is static), kept on
// disk so that opening a database whose contract compiled before skips the compile: esbuild's
// service start and transform, and the parse that checks for a static module, some 20 ms of a
// first op after an open.
//
// The file is a cache of compileContractChecked(source) and is used only for exactly those inputs:
// its key is a SHA-256 over the source, the runtime (RUNTIME_ID names the esbuild and acorn
// versions), the esbuild actually loaded, and the code of the modules that make a factory, so a
// changed contract or compiler misses; a checksum over key and contents makes a changed byte miss
// too. A miss compiles as before and rewrites the file.
//
// What it holds decides what runs in the sandbox, so it is read only where the directory is trusted
// as much as that: Database reads it for an executor's own VM (the directory that holds the signing
// key), never for a verifier or a monitor checking someone else's log.

import { createHash } from 'node:crypto'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { version as esbuildVersion } from 'esbuild'
import type { CompiledContract } from './compile.js'
import { RUNTIME_ID } from './runtime-id.js'

const FORMAT = 'glassbox-compiled-contract/1'
/** The file's name in a database directory. */
export const COMPILED_CONTRACT_FILE = 'compiled-contract.json'
/** The modules whose code makes a factory from a source (compileContractChecked and what it calls). */
const COMPILER = ['./compile.js', './interop.js', './static-module.js', './transform-options.js', './transform.js'].map((f) => fileURLToPath(new URL(f, import.meta.url)))

let compiler: Buffer | undefined

/** What makes a factory besides the source, hashed once per process. */
function compilerIdentity(): Buffer {
  if (!compiler) {
    const h = createHash('sha256').update(`${FORMAT}\n${RUNTIME_ID}\nesbuild@${esbuildVersion}\n`)
    for (const file of COMPILER) h.update(readFileSync(file))
    compiler = h.digest()
  }
  return compiler
}

const keyOf = (source: string): string => createHash('sha256').update(compilerIdentity()).update(source).digest('hex')

const checksumOf = (key: string, compiled: CompiledContract): string =>
  createHash('sha256').update(JSON.stringify([key, compiled.factory, compiled.notStatic])).digest('hex')

/** The compiled form of one contract source, in one file. */
export class CompileCache {
  constructor(readonly file: string) {}

  /** What compileContractChecked(source) gave when it was written, or null on any miss. */
  read(source: string): CompiledContract | null {
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as { key?: unknown; factory?: unknown; notStatic?: unknown; checksum?: unknown }
      if (typeof v.factory !== 'string' || (v.notStatic !== null && typeof v.notStatic !== 'string')) return null
      const compiled: CompiledContract = { factory: v.factory, notStatic: v.notStatic }
      const key = keyOf(source)
      return v.key === key && v.checksum === checksumOf(key, compiled) ? compiled : null
    } catch {
      return null
    }
  }

  /** Records `compiled` as the compiled form of `source` (renamed into place; a failure only costs the next open a compile). */
  write(source: string, compiled: CompiledContract): void {
    const key = keyOf(source)
    try {
      writeFileSync(`${this.file}.tmp`, JSON.stringify({ format: FORMAT, key, factory: compiled.factory, notStatic: compiled.notStatic, checksum: checksumOf(key, compiled) }))
      renameSync(`${this.file}.tmp`, this.file)
    } catch {
      // Without the file the next open compiles: slower, never different.
    }
  }
}
