// A snapshot of the state map's arrays (keys, leaf hashes, inner nodes and their hashes), written
// when the state store closes cleanly, so that the next open reads the map back instead of
// rebuilding it: building it from the stored leaf hashes costs an iteration over every record and
// a hash per inner node (some 100 ms at 10^5 keys), reading it back costs a file read and a checksum.
//
// It is a cache of the store, never trusted beyond it (docs/protocol.md §5.5):
// - its checksum is taken over the bytes in memory before they are written, so a byte the disk
//   changes afterwards, or a torn write, shows;
// - it is read only when the data file is the one a clean close left (clean-close.ts), and used
//   only if it holds the root the store records, which the index log vouches for (load-state.ts);
// - values are not in it: each is read from the store and checked against its leaf hash, as always.
// Anything else (no file, another format, a checksum or a root that does not match) and the map is
// built from the store's leaf hashes instead.

import { createHash } from 'node:crypto'
import { endianness } from 'node:os'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { AuthMap, type MapLayout, type ValueSource } from '../auth/auth-map.js'

const SNAPSHOT_FILE = 'map-snapshot'
// 24 bytes, so the arrays after the header start 4-byte aligned.
const MAGIC = Buffer.from('glassbox-state-map/1\n\0\0\0', 'latin1')
const H = 32
/** count, rootRef, innerTop, leafTop, freeInner, freeLeaf, bytes of the keys' text: 7 × 4 bytes, then the root. */
const HEADER = MAGIC.length + 7 * 4 + H
// The arrays are written as this machine holds them; a snapshot is never moved to another one.
const NATIVE = endianness() === 'LE'

/** The snapshot file of the store in `storeDir`. */
export const mapSnapshotFile = (storeDir: string): string => path.join(storeDir, SNAPSHOT_FILE)

/** The snapshot's bytes: header, arrays, the keys' lengths and text, then SHA-256 of all that. */
export function encodeMapSnapshot(map: AuthMap): Buffer {
  const l = map.layout()
  const root = map.root()
  // The keys as one UTF-8 text, cut by each key's length in UTF-16 units: one decode, then slices.
  const keyText = Buffer.from(l.keys.join(''), 'utf8')
  const keyTotal = keyText.length
  const size = HEADER + 12 * l.innerTop + H * l.innerTop + H * l.leafTop + 4 * (l.freeInner.length + l.freeLeaf.length + l.leafTop) + keyTotal + H
  const out = Buffer.alloc(size)
  MAGIC.copy(out, 0)
  let at = MAGIC.length
  for (const n of [l.count, l.rootRef, l.innerTop, l.leafTop, l.freeInner.length, l.freeLeaf.length, keyTotal]) at = out.writeInt32LE(n, at)
  out.set(root, at)
  at += H
  const put = (a: Int32Array | Uint8Array | Uint32Array) => {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at)
    at += a.byteLength
  }
  put(l.crit)
  put(l.left)
  put(l.right)
  put(l.innerHashes)
  put(l.leafHashes)
  put(Uint32Array.from(l.freeInner))
  put(Uint32Array.from(l.freeLeaf))
  put(Uint32Array.from(l.keys, (k) => k.length))
  at += keyText.copy(out, at)
  out.set(createHash('sha256').update(out.subarray(0, at)).digest(), at)
  return out
}

/**
 * The map a snapshot holds, its values in `source`; null if the bytes are not a whole snapshot of
 * this format, or do not hold `root` (the one the store records).
 */
export function decodeMapSnapshot(given: Buffer, root: Uint8Array, source: ValueSource): AuthMap | null {
  if (!NATIVE || given.length < HEADER + H || !given.subarray(0, MAGIC.length).equals(MAGIC)) return null
  // The arrays are read in place, 4-byte aligned: bytes that sit elsewhere (a pooled small read) are copied first.
  const bytes = given.byteOffset % 4 === 0 ? given : Buffer.from(new Uint8Array(given).buffer)
  let at = MAGIC.length
  const int = () => {
    const n = bytes.readInt32LE(at)
    at += 4
    return n
  }
  const [count, rootRef, innerTop, leafTop, freeInnerCount, freeLeafCount, keyTotal] = [int(), int(), int(), int(), int(), int(), int()]
  if (!bytes.subarray(at, at + H).equals(root)) return null
  at += H
  if ([count, innerTop, leafTop, freeInnerCount, freeLeafCount, keyTotal].some((n) => n < 0)) return null
  const size = HEADER + 12 * innerTop + H * innerTop + H * leafTop + 4 * (freeInnerCount + freeLeafCount + leafTop) + keyTotal + H
  if (bytes.length !== size) return null
  const body = bytes.subarray(0, size - H)
  if (!createHash('sha256').update(body).digest().equals(bytes.subarray(size - H))) return null
  const ints = (n: number) => {
    const a = new Int32Array(bytes.buffer, bytes.byteOffset + at, n)
    at += 4 * n
    return a
  }
  const hashes = (n: number) => {
    const a = new Uint8Array(bytes.buffer, bytes.byteOffset + at, n * H)
    at += n * H
    return a
  }
  const crit = ints(innerTop)
  const left = ints(innerTop)
  const right = ints(innerTop)
  const innerHashes = hashes(innerTop)
  const leafHashes = hashes(leafTop)
  const freeInner = Array.from(ints(freeInnerCount))
  const freeLeaf = Array.from(ints(freeLeafCount))
  const lengths = ints(leafTop)
  const text = bytes.toString('utf8', at, at + keyTotal)
  const keys = new Array<string>(leafTop)
  let from = 0
  for (let i = 0; i < leafTop; i++) {
    const end = from + lengths[i]
    if (lengths[i] < 0 || end > text.length) return null
    keys[i] = text.slice(from, end)
    from = end
  }
  if (from !== text.length) return null
  const layout: MapLayout = { count, rootRef, innerTop, leafTop, crit, left, right, innerHashes, leafHashes, keys, freeInner, freeLeaf }
  try {
    return AuthMap.fromLayout(layout, source)
  } catch {
    return null
  }
}

/** Writes a snapshot (encodeMapSnapshot) beside the store, renamed into place: a crash leaves a whole file or none. */
export function writeMapSnapshot(storeDir: string, bytes: Buffer): void {
  const file = mapSnapshotFile(storeDir)
  try {
    writeFileSync(`${file}.tmp`, bytes)
    renameSync(`${file}.tmp`, file)
  } catch {
    // Without a snapshot the next open builds the map from the leaf hashes: slower, never wrong.
    removeMapSnapshot(storeDir)
  }
}

export function removeMapSnapshot(storeDir: string): void {
  rmSync(mapSnapshotFile(storeDir), { force: true })
  rmSync(`${mapSnapshotFile(storeDir)}.tmp`, { force: true })
}

/** The map the snapshot in `storeDir` holds, if there is one that holds `root` (see decodeMapSnapshot). */
export function readMapSnapshot(storeDir: string, root: Uint8Array, source: ValueSource): AuthMap | null {
  let bytes: Buffer
  try {
    bytes = readFileSync(mapSnapshotFile(storeDir))
  } catch {
    return null
  }
  return decodeMapSnapshot(bytes, root, source)
}
