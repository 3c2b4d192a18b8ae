// Minimal typings for the Holepunch modules Glassbox uses (they ship none).

declare module 'sodium-native' {
  const sodium: {
    crypto_generichash(out: Buffer, input: Buffer, key?: Buffer): void
    crypto_generichash_batch(out: Buffer, inputs: Buffer[], key?: Buffer): void
    crypto_sign_detached(sig: Buffer, message: Buffer, secretKey: Buffer): void
    crypto_sign_verify_detached(sig: Buffer, message: Buffer, publicKey: Buffer): boolean
    crypto_sign_keypair(publicKey: Buffer, secretKey: Buffer): void
    crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void
    crypto_sign_BYTES: number
    crypto_sign_PUBLICKEYBYTES: number
    crypto_sign_SECRETKEYBYTES: number
    crypto_sign_ed25519_pk_to_curve25519(x25519pk: Buffer, ed25519pk: Buffer): void
    crypto_sign_ed25519_sk_to_curve25519(x25519sk: Buffer, ed25519sk: Buffer): void
    crypto_box_seal(c: Buffer, m: Buffer, pk: Buffer): void
    crypto_box_seal_open(m: Buffer, c: Buffer, pk: Buffer, sk: Buffer): boolean
    crypto_secretbox_easy(c: Buffer, m: Buffer, n: Buffer, k: Buffer): void
    crypto_secretbox_open_easy(m: Buffer, c: Buffer, n: Buffer, k: Buffer): boolean
    randombytes_buf(buf: Buffer): void
    crypto_stream_xchacha20_xor(c: Buffer, m: Buffer, n: Buffer, k: Buffer): void
  }
  export default sodium
}

declare module 'hypercore' {
  import { EventEmitter } from 'node:events'
  export interface HypercoreTreeNode {
    index: number
    size: number
    hash: Buffer
  }
  export interface HypercoreProof {
    fork: number
    block: { index: number; value: Buffer | null; nodes: HypercoreTreeNode[] } | null
    upgrade: { start: number; length: number; nodes: HypercoreTreeNode[]; additionalNodes: HypercoreTreeNode[]; signature: Buffer } | null
  }
  export interface HypercoreProofRequest {
    block?: { index: number; nodes: number }
    upgrade?: { start: number; length: number }
  }
  export interface HypercoreGetOptions {
    wait?: boolean
    timeout?: number
    /** The block as stored: not decrypted, not stripped of its encryption padding. */
    raw?: boolean
  }
  /** Hypercore's block encryption interface: `padding` bytes lead every stored block. */
  export interface HypercoreEncryptionProvider {
    padding(core: unknown, index: number): number
    encrypt(index: number, block: Buffer, fork: number, core: { key: Buffer }): void | Promise<void>
    decrypt(index: number, block: Buffer, core: { key: Buffer }): void | Promise<void>
  }
  export default class Hypercore extends EventEmitter {
    readonly key: Buffer
    readonly discoveryKey: Buffer
    readonly length: number
    /** How many blocks from the first are held locally without a gap. */
    readonly contiguousLength: number
    readonly writable: boolean
    readonly closed: boolean
    readonly fork: number
    ready(): Promise<void>
    close(): Promise<void>
    setEncryption(provider: HypercoreEncryptionProvider | null): Promise<void>
    readonly encryption: HypercoreEncryptionProvider | null
    append(blocks: Buffer | Buffer[]): Promise<{ length: number; byteLength: number }>
    get(index: number, opts?: HypercoreGetOptions): Promise<Buffer | null>
    has(index: number): Promise<boolean>
    treeHash(length?: number): Promise<Buffer>
    truncate(length: number, fork?: number): Promise<void>
    createReadStream(opts?: { start?: number; end?: number; live?: boolean }): AsyncIterable<Buffer>
    replicate(isInitiator: boolean | unknown, opts?: unknown): unknown
    signable(length?: number, fork?: number): Buffer
    update(opts?: { wait?: boolean }): Promise<boolean>
    /** Fetches a range from peers; `end: -1` keeps fetching as the log grows (a live range). */
    download(range?: { start?: number; end?: number }): { done(): Promise<void>; destroy(): void }
    /** Peers this log is replicating with now. */
    readonly peers: unknown[]
    /** Resolves once the swarm has looked for peers of this log (see Hyperswarm's findingPeers). */
    findingPeers(): () => void
    readonly signedLength: number
    readonly core: unknown
    /** The signing key pair (the secret key only on the writer's side). */
    readonly keyPair: { publicKey: Buffer; secretKey: Buffer | null } | null
    readonly manifest: { signers: { publicKey: Buffer }[] } | null
    proof(request: HypercoreProofRequest): Promise<HypercoreProof>
    /** The key of the default manifest with this single signer. */
    static key(publicKey: Buffer | Uint8Array): Buffer
  }
}

declare module 'corestore' {
  import Hypercore from 'hypercore'
  export interface CorestoreGetOptions {
    name?: string
    key?: Buffer | Uint8Array
    valueEncoding?: string
    exclusive?: boolean
  }
  export default class Corestore {
    constructor(storage: string, opts?: Record<string, unknown>)
    ready(): Promise<void>
    close(): Promise<void>
    get(opts: CorestoreGetOptions | Buffer): Hypercore
    replicate(isInitiator: boolean | unknown, opts?: unknown): unknown
    namespace(name: string): Corestore
    /** An Ed25519 key pair derived from the store's primary key and `name`: the same on every open. */
    createKeyPair(name: string): Promise<{ publicKey: Buffer; secretKey: Buffer }>
  }
}

declare module 'hyperdht' {
  export interface DHTNodeAddress {
    host: string
    port: number
  }
  export interface DHTOptions {
    bootstrap?: DHTNodeAddress[] | string[]
    /** The address to bind: '127.0.0.1' keeps every socket and announced address on loopback. */
    host?: string
    port?: number
    ephemeral?: boolean
    firewalled?: boolean
    /** How often a connection sends an empty message when idle, in ms (default 5000). */
    connectionKeepAlive?: number | false
  }
  export default class DHT {
    constructor(opts?: DHTOptions)
    ready(): Promise<void>
    fullyBootstrapped(): Promise<void>
    address(): { host: string; port: number }
    destroy(opts?: { force?: boolean }): Promise<void>
  }
}

declare module 'hyperswarm' {
  import { EventEmitter } from 'node:events'
  import DHT from 'hyperdht'
  export interface PeerDiscovery {
    flushed(): Promise<void>
    /** Looks the topic up again (and re-announces it when announcing). */
    refresh(): Promise<void>
    destroy(): Promise<void>
  }
  export interface PeerInfo {
    publicKey: Buffer
  }
  export interface SwarmConnection extends EventEmitter {
    readonly remotePublicKey: Buffer
    destroy(err?: Error): void
    /** Destroys the connection when nothing arrives from the peer for `ms`. */
    setTimeout(ms: number): void
  }
  export default class Hyperswarm extends EventEmitter {
    constructor(opts?: { dht?: DHT; keyPair?: { publicKey: Buffer; secretKey: Buffer }; bootstrap?: unknown[]; maxPeers?: number })
    readonly keyPair: { publicKey: Buffer }
    readonly connections: Set<SwarmConnection>
    readonly dht: DHT
    join(topic: Buffer, opts?: { server?: boolean; client?: boolean }): PeerDiscovery
    leave(topic: Buffer): Promise<void>
    flush(): Promise<void>
    listen(): Promise<void>
    destroy(): Promise<void>
  }
}

declare module 'hyperdht/testnet.js' {
  import DHT, { type DHTNodeAddress } from 'hyperdht'
  export interface Testnet {
    readonly nodes: DHT[]
    readonly bootstrap: DHTNodeAddress[]
    destroy(): Promise<void>
  }
  export default function createTestnet(size?: number, opts?: { host?: string; port?: number; bootstrap?: DHTNodeAddress[] }): Promise<Testnet>
}

declare module 'protomux' {
  export interface Encoding<T> {
    preencode(state: unknown, value: T): void
    encode(state: unknown, value: T): void
    decode(state: unknown): T
  }
  export interface Message<T> {
    send(value: T): boolean
  }
  export interface Channel {
    readonly opened: boolean
    readonly closed: boolean
    open(handshake?: unknown): void
    close(): void
    fullyOpened(): Promise<boolean>
    addMessage<T>(opts: { encoding: Encoding<T>; onmessage?: (value: T) => void | Promise<void> }): Message<T>
  }
  export default class Protomux {
    static from(stream: unknown): Protomux
    createChannel(opts: { protocol: string; id?: Buffer | null; unique?: boolean; onopen?: () => void; onclose?: () => void }): Channel | null
  }
}

declare module 'compact-encoding' {
  import type { Encoding } from 'protomux'
  export const json: Encoding<unknown>
}
