// The key of a Hypercore log with one Ed25519 signer, computed as Hypercore 11 does (its
// Verifier.manifestHash of a version-1 manifest) but with nothing of Hypercore's: the judge and the
// proof checker run in browsers. test/manifest-key.test.ts checks it equals Hypercore.key().

import { hash } from '../codec/hash.js'

const ascii = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)))

/** Hypercore's namespaces: BLAKE2b-256(BLAKE2b-256("hypercore") ‖ i). */
function namespace(i: number): Uint8Array {
  return hash(new Uint8Array([...hash(ascii('hypercore')), i]))
}

let prefix: Uint8Array | null = null

/**
 * The manifest's bytes up to the signer's public key: the MANIFEST namespace (3), then version 1,
 * no flags, hash blake2b (0), quorum 1, one signer: signature ed25519 (0), the default namespace (4).
 */
function manifestPrefix(): Uint8Array {
  prefix ??= new Uint8Array([...namespace(3), 1, 0, 0, 1, 1, 0, ...namespace(4)])
  return prefix
}

/** The key of the log whose manifest names `signer` as its only signer. */
export function keyOfSingleSigner(signer: Uint8Array): Uint8Array {
  if (signer.length !== 32) throw new Error(`a signer's public key is 32 bytes, not ${signer.length}`)
  const p = manifestPrefix()
  const bytes = new Uint8Array(p.length + 32)
  bytes.set(p)
  bytes.set(signer, p.length)
  return hash(bytes)
}
