// Minimal typings for the Holepunch modules Glassbox uses (they ship none).

declare module 'sodium-native' {
  const sodium: {
    crypto_generichash(out: Buffer, input: Buffer, key?: Buffer): void
    crypto_sign_detached(sig: Buffer, message: Buffer, secretKey: Buffer): void
    crypto_sign_verify_detached(sig: Buffer, message: Buffer, publicKey: Buffer): boolean
    crypto_sign_keypair(publicKey: Buffer, secretKey: Buffer): void
    crypto_sign_BYTES: number
    crypto_sign_PUBLICKEYBYTES: number
    crypto_sign_SECRETKEYBYTES: number
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
  }
  export default class Hypercore extends EventEmitter {
    readonly key: Buffer
    readonly discoveryKey: Buffer
    readonly length: number
    readonly writable: boolean
    readonly closed: boolean
    readonly fork: number
    ready(): Promise<void>
    close(): Promise<void>
    append(blocks: Buffer | Buffer[]): Promise<{ length: number; byteLength: number }>
    get(index: number, opts?: HypercoreGetOptions): Promise<Buffer | null>
    has(index: number): Promise<boolean>
    treeHash(length?: number): Promise<Buffer>
    truncate(length: number, fork?: number): Promise<void>
    createReadStream(opts?: { start?: number; end?: number; live?: boolean }): AsyncIterable<Buffer>
    replicate(isInitiator: boolean | unknown, opts?: unknown): unknown
    signable(length?: number, fork?: number): Buffer
    update(opts?: { wait?: boolean }): Promise<boolean>
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
  }
}
