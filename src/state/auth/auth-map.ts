// The authenticated ordered map that commits the contract state (docs/protocol.md §7): a
// path-compressed binary trie over the keys' bits (a crit-bit trie), whose shape depends only on
// the set of keys, hashed bottom-up.
//
// Storage is struct-of-arrays so that 10^6 keys stay small: inner nodes live in typed arrays
// (crit bit, children, a dirty flag, their hash in one pooled buffer), leaves in a key array, a
// value array and a pooled buffer of leaf hashes. A child reference is an inner node's index (>= 0)
// or the bitwise complement of a leaf's index (< 0).
//
// Leaf hashes are computed when a key is put. Inner hashes are lazy: a change marks its path dirty
// and root() rehashes only dirty nodes, so a batch of changes rehashes each shared node once.
//
// Values may live outside memory (src/state/store/): with a value source attached, a leaf's value
// slot can hold STORED, and the value is read from the source when asked for and checked against
// the leaf hash, so a source can never answer with anything but the committed value. Keys changed
// since the source last took them are tracked (`unsaved`) and keep their values in memory.

import { decode, encode } from '../../codec/canonical.js'
import { EncodeError } from '../../errors.js'
import type { Change, Json, ListOptions, StateEntry, StateReader } from '../../vm/types.js'
import { compareKeys } from '../key-order.js'
import { freezeValue } from '../frozen-value.js'
import type { Undo } from '../memory-state.js'
import { bitAt, firstDiff, utf8Into, varintLength, writeVarint } from './bits.js'
import { hashInto, toHex } from '../../codec/hash.js'
import { EMPTY_ROOT, INNER_TAG, LEAF_TAG } from './node-hash.js'
import { listEntries, walkEntries } from './walk.js'
import { StoreIntegrityError } from '../../errors.js'

const H = 32

/** Where values live when they are not in memory; reads are synchronous (contracts read state synchronously). */
export interface ValueSource {
  /** The canonical encoding of the value last stored under `key`, or undefined. */
  read(key: string): Uint8Array | undefined
  /**
   * Told, before the read throws, that the source answered with a value the map does not commit
   * to (or with none): the source is known to lie and must not be trusted again.
   */
  damaged?(err: StoreIntegrityError): void
}

/** A key with its value's canonical encoding, for building a map whose values stay in a source. */
export interface EncodedEntry {
  key: string
  encoded: Uint8Array
}

/** A map's arrays, as `layout()` gives them and `fromLayout()` takes them (see those). */
export interface MapLayout {
  count: number
  rootRef: number
  innerTop: number
  leafTop: number
  crit: Int32Array
  left: Int32Array
  right: Int32Array
  innerHashes: Uint8Array
  leafHashes: Uint8Array
  /** A free leaf's key is ''. */
  keys: string[]
  freeInner: number[]
  freeLeaf: number[]
}

/** The value slot of a leaf whose value is in the value source. */
const STORED: unique symbol = Symbol('stored')
type Slot = Json | typeof STORED

/** The smallest of 1024, 2048, 4096… (the sizes `grow` doubles through) that holds `n`. */
function capacityFor(n: number): number {
  let size = 1024
  while (size < n) size *= 2
  return size
}

function grow<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size)
  next.set(a)
  return next
}

export class AuthMap implements StateReader {
  /** @internal inner nodes */
  crit = new Int32Array(1024)
  /** @internal */
  left = new Int32Array(1024)
  /** @internal */
  right = new Int32Array(1024)
  /** @internal */
  innerHashes = new Uint8Array(1024 * H)
  /** @internal */
  dirty = new Uint8Array(1024)
  /** @internal leaves */
  keys: string[] = []
  /** @internal read them with valueAt(): a slot may be STORED */
  values: Slot[] = []
  /** @internal */
  leafHashes = new Uint8Array(1024 * H)
  /** @internal the root reference; meaningless when the map is empty */
  rootRef = 0

  private count = 0
  private innerTop = 0
  private leafTop = 0
  private readonly freeInner: number[] = []
  private readonly freeLeaf: number[] = []
  /** The key being looked up, as UTF-8, and the key of the leaf it reached. */
  private kb = new Uint8Array(256)
  private ob = new Uint8Array(256)
  private path = new Int32Array(64)
  private reached = 0
  private stack = new Int32Array(64)
  private readonly out = new Uint8Array(H)
  private readonly vh = new Uint8Array(H)
  private readonly innerPre = [0, 1, 2, 3, 4, 5].map((n) => new Uint8Array(1 + n + 2 * H))
  private leafPre = new Uint8Array(512)
  private source: ValueSource | null = null
  /** Keys put or deleted since the source last took the map's values; null without a source. */
  private changed: Set<string> | null = null
  private readonly check = new Uint8Array(H)

  get size(): number {
    return this.count
  }

  /**
   * Roughly what the map holds in memory, in bytes: its typed arrays exactly, plus an estimate of the
   * key strings (a V8 string header and one byte a character, 8-byte aligned: keys outside Latin-1
   * take twice that) and of the two slot arrays.
   * Values kept in memory (changes not yet stored, or a map without a value source) are not counted.
   */
  memoryBytes(): number {
    let bytes = 0
    for (const a of [this.crit, this.left, this.right, this.dirty, this.innerHashes, this.leafHashes]) bytes += a.byteLength
    for (const key of this.keys) {
      if (key !== undefined) bytes += (16 + key.length + 7) & ~7
    }
    return bytes + 8 * (this.keys.length + this.values.length)
  }

  /** Builds a map from entries in strictly ascending key order, in linear time. */
  static fromSorted(entries: Iterable<StateEntry>): AuthMap {
    return AuthMap.build(entries, (map, len, e) => {
      map.hashLeafInto(map.vh, len, e.value)
      return freezeValue(e.value)
    })
  }

  /**
   * Like fromSorted, from values' canonical encodings, leaving every value in `source` (which must
   * hold these encodings): only keys and hashes take memory.
   */
  static fromStored(entries: Iterable<EncodedEntry>, source: ValueSource): AuthMap {
    const map = AuthMap.build(entries, (m, len, e) => {
      m.hashEncodedLeafInto(m.vh, len, e.encoded)
      return STORED
    })
    map.attachSource(source)
    return map
  }

  /**
   * A map of `entries` whose leaf hashes were stored beside their values (the state store keeps
   * them; `leaf` may be longer, only its first 32 bytes are read): nothing is hashed but the inner
   * nodes, at the first root(). The root must then be
   * checked against one the log vouches for, and each value is checked against its leaf hash
   * when it is read, as for any source.
   */
  static fromLeafHashes(entries: Iterable<{ key: string; leaf: Uint8Array }>, source: ValueSource): AuthMap {
    const map = AuthMap.build(entries, (m, _len, e) => {
      // The leaf hash is the first H bytes (what follows, if anything, is not read).
      const leaf = e.leaf
      if (leaf.length < H) throw new RangeError(`fromLeafHashes(): the leaf hash of ${JSON.stringify(e.key)} is ${leaf.length} bytes, not ${H}`)
      const vh = m.vh
      for (let i = 0; i < H; i++) vh[i] = leaf[i]
      return STORED
    })
    map.attachSource(source)
    return map
  }

  /**
   * @internal The map's arrays as they are, for a snapshot (state/store/map-snapshot.ts): root()
   * is taken first, so every inner hash is current. Only for a map whose values are all in its
   * source (`unsaved` empty): values are not part of the layout.
   */
  layout(): MapLayout {
    this.root()
    return {
      count: this.count,
      rootRef: this.rootRef,
      innerTop: this.innerTop,
      leafTop: this.leafTop,
      crit: this.crit.subarray(0, this.innerTop),
      left: this.left.subarray(0, this.innerTop),
      right: this.right.subarray(0, this.innerTop),
      innerHashes: this.innerHashes.subarray(0, this.innerTop * H),
      leafHashes: this.leafHashes.subarray(0, this.leafTop * H),
      keys: this.keys.slice(0, this.leafTop),
      freeInner: [...this.freeInner],
      freeLeaf: [...this.freeLeaf],
    }
  }

  /**
   * @internal A map with `layout`'s arrays, every value in `source`: nothing is hashed, so the
   * layout must come from a map this software held (a snapshot whose checksum matched) and its
   * root must still be checked against one the log vouches for. Throws RangeError on a layout
   * whose sizes or references do not fit together.
   */
  static fromLayout(layout: MapLayout, source: ValueSource): AuthMap {
    const { count, rootRef, innerTop, leafTop, keys, freeInner, freeLeaf } = layout
    const fits =
      Number.isInteger(innerTop) && Number.isInteger(leafTop) && innerTop >= 0 && leafTop >= 0 &&
      layout.crit.length === innerTop && layout.left.length === innerTop && layout.right.length === innerTop &&
      layout.innerHashes.length === innerTop * H && layout.leafHashes.length === leafTop * H && keys.length === leafTop &&
      count === leafTop - freeLeaf.length && (count === 0 || count - 1 === innerTop - freeInner.length) &&
      (count === 0 || (rootRef >= 0 ? rootRef < innerTop : ~rootRef < leafTop))
    if (!fits) throw new RangeError('fromLayout(): the layout\'s sizes do not fit together')
    for (let n = 0; n < innerTop; n++) {
      const l = layout.left[n]
      const r = layout.right[n]
      if (l >= innerTop || r >= innerTop || ~l >= leafTop || ~r >= leafTop) throw new RangeError(`fromLayout(): inner node ${n} refers outside the layout`)
    }
    const map = new AuthMap()
    // The capacities a map grown put by put would have: the next put must not double the arrays.
    const size = capacityFor(innerTop)
    map.crit = new Int32Array(size)
    map.crit.set(layout.crit)
    map.left = new Int32Array(size)
    map.left.set(layout.left)
    map.right = new Int32Array(size)
    map.right.set(layout.right)
    map.dirty = new Uint8Array(size)
    map.innerHashes = new Uint8Array(size * H)
    map.innerHashes.set(layout.innerHashes)
    map.leafHashes = new Uint8Array(capacityFor(leafTop) * H)
    map.leafHashes.set(layout.leafHashes)
    map.keys = keys
    map.values = new Array<Slot>(leafTop).fill(STORED)
    for (const i of freeLeaf) map.values[i] = null
    map.rootRef = rootRef
    map.count = count
    map.innerTop = innerTop
    map.leafTop = leafTop
    for (const n of freeInner) map.freeInner.push(n)
    for (const i of freeLeaf) map.freeLeaf.push(i)
    map.attachSource(source)
    return map
  }

  private static build<E extends { key: string }>(entries: Iterable<E>, leaf: (map: AuthMap, len: number, entry: E) => Slot): AuthMap {
    const map = new AuthMap()
    const spine: number[] = []
    let prev: string | null = null
    let prevRef = 0
    let prevLen = 0
    for (const entry of entries) {
      const key = entry.key
      map.checkKey(key)
      if (prev !== null && compareKeys(prev, key) >= 0) throw new RangeError(`fromSorted(): ${JSON.stringify(key)} does not sort after ${JSON.stringify(prev)}`)
      // The previous key's bytes stay in `ob`.
      ;[map.kb, map.ob] = [map.ob, map.kb]
      const len = map.encodeKey(key)
      const slot = leaf(map, len, entry)
      const ref = ~map.newLeaf(key, slot, map.vh)
      if (prev === null) map.rootRef = ref
      else {
        const c = firstDiff(map.kb, len, 0, map.ob, prevLen, 0)
        // The crit-bit trie of sorted keys is the Cartesian tree of the crit bits between neighbours.
        let sub = prevRef
        while (spine.length > 0 && map.crit[spine[spine.length - 1]] > c) sub = spine.pop() as number
        const n = map.newInner(c)
        map.left[n] = sub
        map.right[n] = ref
        if (spine.length > 0) map.right[spine[spine.length - 1]] = n
        else map.rootRef = n
        spine.push(n)
      }
      map.count++
      prev = key
      prevRef = ref
      prevLen = len
    }
    return map
  }

  /**
   * Reads values of STORED leaves from `source` from now on, and starts tracking changed keys
   * (`unsaved`). Values already in memory stay there until markStored().
   */
  attachSource(source: ValueSource): void {
    this.source = source
    this.changed ??= new Set()
  }

  /** Keys put or deleted since the source last took them (null when no source is attached). */
  get unsaved(): ReadonlySet<string> | null {
    return this.changed
  }

  /** The leaf hash of `key` (a view into the map's pool: copy it before the map changes), or undefined. */
  leafHashOf(key: string): Uint8Array | undefined {
    const leaf = this.leafOf(key)
    return leaf < 0 ? undefined : this.leafHashes.subarray(leaf * H, leaf * H + H)
  }

  /** Says the source now holds every unsaved key's current value: their memory is released. */
  markStored(): void {
    if (!this.changed) return
    for (const key of this.changed) this.release(key)
    this.changed.clear()
  }

  /**
   * Hands the unsaved keys to a commit that lands later (StateStore.commitInBackground): they are
   * tracked afresh from now on, and their values stay in memory until `landed` says how it went.
   */
  takeUnsaved(): Set<string> {
    const taken = this.changed ?? new Set<string>()
    if (this.changed) this.changed = new Set()
    return taken
  }

  /**
   * The commit of `taken` (from takeUnsaved) landed, or failed. Landed: the source holds their
   * values as they were taken, so the memory of those not changed since is released. Failed: they
   * are unsaved again, for the next commit.
   */
  landed(taken: ReadonlySet<string>, ok: boolean): void {
    if (!this.changed) return
    if (!ok) {
      for (const key of taken) this.changed.add(key)
      return
    }
    for (const key of taken) if (!this.changed.has(key)) this.release(key)
  }

  /** The value of `key` is the source's now: its memory is released. */
  private release(key: string): void {
    const leaf = this.leafOf(key)
    if (leaf >= 0) this.values[leaf] = STORED
  }

  /** @internal The value of leaf `i`, read from the source if it is not in memory. */
  valueAt(i: number): Json {
    const v = this.values[i]
    return v === STORED ? this.load(i, this.encodeKey(this.keys[i])) : v
  }

  get(key: string): Json | undefined {
    if (this.count === 0 || !key.isWellFormed()) return undefined
    const len = this.encodeKey(key)
    let ref = this.rootRef
    while (ref >= 0) ref = bitAt(this.kb, len, 0, this.crit[ref]) ? this.right[ref] : this.left[ref]
    if (this.keys[~ref] !== key) return undefined
    const v = this.values[~ref]
    return v === STORED ? this.load(~ref, len) : v
  }

  /** Whether the map holds `key`: its keys answer, no value is read (from memory or the source). */
  has(key: string): boolean {
    return key.isWellFormed() && this.leafOf(key) >= 0
  }

  put(key: string, value: Json): void {
    this.checkKey(key)
    const len = this.encodeKey(key)
    // Hash first: a value that cannot be encoded leaves the map as it was.
    this.hashLeafInto(this.vh, len, value)
    freezeValue(value)
    if (this.changed !== null) this.changed.add(key)
    if (this.count === 0) {
      this.rootRef = ~this.newLeaf(key, value, this.vh)
      this.count = 1
      return
    }
    const depth = this.descend(len)
    const ref = this.reached
    const leaf = ~ref
    const other = this.keys[leaf]
    if (other === key) {
      this.values[leaf] = value
      this.leafHashes.set(this.vh, leaf * H)
      for (let i = 0; i < depth; i++) this.dirty[this.path[i]] = 1
      return
    }
    const c = firstDiff(this.kb, len, 0, this.ob, this.encodeOther(other), 0)
    let d = 0
    while (d < depth && this.crit[this.path[d]] < c) d++
    const below = d < depth ? this.path[d] : ref
    const fresh = ~this.newLeaf(key, value, this.vh)
    const n = this.newInner(c)
    if (bitAt(this.kb, len, 0, c)) {
      this.left[n] = below
      this.right[n] = fresh
    } else {
      this.left[n] = fresh
      this.right[n] = below
    }
    if (d === 0) this.rootRef = n
    else {
      const p = this.path[d - 1]
      if (this.left[p] === below) this.left[p] = n
      else this.right[p] = n
    }
    for (let i = 0; i < d; i++) this.dirty[this.path[i]] = 1
    this.count++
  }

  /** Removes the key; false if it was absent. */
  delete(key: string): boolean {
    if (this.count === 0 || !key.isWellFormed()) return false
    const len = this.encodeKey(key)
    const depth = this.descend(len)
    const ref = this.reached
    if (this.keys[~ref] !== key) return false
    if (this.changed !== null) this.changed.add(key)
    this.freeLeafAt(~ref)
    this.count--
    if (depth === 0) return true
    const p = this.path[depth - 1]
    const sibling = this.left[p] === ref ? this.right[p] : this.left[p]
    if (depth === 1) this.rootRef = sibling
    else {
      const g = this.path[depth - 2]
      if (this.left[g] === p) this.left[g] = sibling
      else this.right[g] = sibling
    }
    this.freeInnerAt(p)
    for (let i = 0; i < depth - 1; i++) this.dirty[this.path[i]] = 1
    return true
  }

  /** Applies changes in order (recording what undoes them, like MemoryState.apply). */
  apply(changes: readonly Change[], undo?: Undo[]): void {
    for (const c of changes) {
      if (undo) undo.push({ key: c.key, before: this.get(c.key) })
      if (c.type === 'put') this.put(c.key, c.value)
      else this.delete(c.key)
    }
  }

  revert(undo: readonly Undo[]): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const { key, before } = undo[i]
      if (before === undefined) this.delete(key)
      else this.put(key, before)
    }
  }

  /** Applies changes and returns the new root. */
  update(changes: readonly Change[]): Uint8Array {
    this.apply(changes)
    return this.root()
  }

  /** The 32-byte root; rehashes what changed since the last call. */
  root(): Uint8Array {
    if (this.count === 0) return EMPTY_ROOT.slice()
    this.flush()
    return this.hashOf(this.rootRef)
  }

  /** Entries whose key starts with `prefix`, in key order (reversed if asked), bounded by gt/lt/limit. */
  list(prefix: string, opts: ListOptions = {}): StateEntry[] {
    return listEntries(this, prefix, opts)
  }

  /** Every entry in key order. */
  entries(): IterableIterator<StateEntry> {
    return walkEntries(this)
  }

  /** @internal A copy of a node's hash; call root() first. */
  hashOf(ref: number): Uint8Array {
    return ref >= 0 ? this.innerHashes.slice(ref * H, ref * H + H) : this.leafHashes.slice(~ref * H, ~ref * H + H)
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string' || !key.isWellFormed()) throw new EncodeError('ENCODE_STRING', `state key ${JSON.stringify(key)} is not a well-formed string`)
  }

  private encodeKey(key: string): number {
    if (this.kb.length < key.length * 3) this.kb = new Uint8Array(key.length * 3 + 64)
    return utf8Into(key, this.kb)
  }

  private encodeOther(key: string): number {
    if (this.ob.length < key.length * 3) this.ob = new Uint8Array(key.length * 3 + 64)
    return utf8Into(key, this.ob)
  }

  /**
   * Follows the key's bits from the root, recording the inner nodes passed in `path`; returns
   * their number and leaves the leaf reached in `reached`.
   */
  private descend(len: number): number {
    let ref = this.rootRef
    let depth = 0
    while (ref >= 0) {
      if (depth === this.path.length) this.path = grow(this.path, depth * 2)
      this.path[depth++] = ref
      ref = bitAt(this.kb, len, 0, this.crit[ref]) ? this.right[ref] : this.left[ref]
    }
    this.reached = ref
    return depth
  }

  /** Writes the leaf hash of (kb[0..len), value) into `out`. */
  private hashLeafInto(out: Uint8Array, len: number, value: Json): void {
    this.hashEncodedLeafInto(out, len, encode(value))
  }

  /** Writes the leaf hash of (kb[0..len), the value whose canonical encoding is `encoded`) into `out`. */
  private hashEncodedLeafInto(out: Uint8Array, len: number, encoded: Uint8Array): void {
    hashInto(this.out, encoded)
    const size = 1 + varintLength(len) + len + H
    if (this.leafPre.length < size) this.leafPre = new Uint8Array(size * 2)
    const pre = this.leafPre
    pre[0] = LEAF_TAG
    const at = writeVarint(pre, 1, len)
    pre.set(this.kb.subarray(0, len), at)
    pre.set(this.out, at + len)
    hashInto(out, pre.subarray(0, size))
  }

  /**
   * Reads leaf i's value (its key's UTF-8 in kb[0..len)) from the source, checked against its hash.
   * The source is outside the trusted core (docs/protocol.md §5.5): an answer that fails the check
   * is never returned, and the source is told it lied.
   */
  private load(i: number, len: number): Json {
    const key = this.keys[i]
    const encoded = this.source?.read(key)
    if (encoded !== undefined) {
      this.hashEncodedLeafInto(this.check, len, encoded)
      if (this.leafIs(i, this.check)) return decode(encoded) as Json
    }
    const at = i * H
    const expected = toHex(this.leafHashes.subarray(at, at + H))
    const err = new StoreIntegrityError(key, expected, encoded === undefined ? null : toHex(this.check))
    this.source?.damaged?.(err)
    throw err
  }

  private leafIs(i: number, hash: Uint8Array): boolean {
    const at = i * H
    for (let b = 0; b < H; b++) if (hash[b] !== this.leafHashes[at + b]) return false
    return true
  }

  /** The leaf holding `key`, or -1. */
  private leafOf(key: string): number {
    if (this.count === 0) return -1
    const len = this.encodeKey(key)
    let ref = this.rootRef
    while (ref >= 0) ref = bitAt(this.kb, len, 0, this.crit[ref]) ? this.right[ref] : this.left[ref]
    return this.keys[~ref] === key ? ~ref : -1
  }

  private hashInner(n: number): void {
    const crit = this.crit[n]
    const pre = this.innerPre[varintLength(crit)]
    pre[0] = INNER_TAG
    const at = writeVarint(pre, 1, crit)
    copyHash(this, this.left[n], pre, at)
    copyHash(this, this.right[n], pre, at + H)
    hashInto(this.out, pre)
    this.innerHashes.set(this.out, n * H)
  }

  private flush(): void {
    const root = this.rootRef
    if (root < 0 || !this.dirty[root]) return
    // Post-order over dirty nodes; a clean node's subtree is all clean.
    let sp = 0
    this.stack[sp++] = root
    while (sp > 0) {
      const n = this.stack[sp - 1]
      if (this.stack.length < sp + 2) this.stack = grow(this.stack, this.stack.length * 2)
      const l = this.left[n]
      const r = this.right[n]
      if (l >= 0 && this.dirty[l]) this.stack[sp++] = l
      else if (r >= 0 && this.dirty[r]) this.stack[sp++] = r
      else {
        this.hashInner(n)
        this.dirty[n] = 0
        sp--
      }
    }
  }

  private newLeaf(key: string, value: Slot, hash: Uint8Array): number {
    let i = this.freeLeaf.pop()
    if (i === undefined) {
      i = this.leafTop++
      if (this.leafHashes.length < this.leafTop * H) this.leafHashes = grow(this.leafHashes, this.leafHashes.length * 2)
    }
    this.keys[i] = key
    this.values[i] = value
    this.leafHashes.set(hash, i * H)
    return i
  }

  private freeLeafAt(i: number): void {
    this.keys[i] = ''
    this.values[i] = null
    this.freeLeaf.push(i)
  }

  private newInner(crit: number): number {
    let n = this.freeInner.pop()
    if (n === undefined) {
      n = this.innerTop++
      if (this.crit.length < this.innerTop) {
        const size = this.crit.length * 2
        this.crit = grow(this.crit, size)
        this.left = grow(this.left, size)
        this.right = grow(this.right, size)
        this.dirty = grow(this.dirty, size)
        this.innerHashes = grow(this.innerHashes, size * H)
      }
    }
    this.crit[n] = crit
    this.dirty[n] = 1
    return n
  }

  private freeInnerAt(n: number): void {
    this.dirty[n] = 0
    this.freeInner.push(n)
  }
}

function copyHash(map: AuthMap, ref: number, to: Uint8Array, at: number): void {
  const src = ref >= 0 ? map.innerHashes : map.leafHashes
  const from = (ref >= 0 ? ref : ~ref) * H
  for (let i = 0; i < H; i++) to[at + i] = src[from + i]
}
