// Ed25519 signatures (the scheme Hypercore signs its logs with), over canonical bytes only.

import { ed25519Sign, ed25519Verify } from './primitives.js'

export const SIGNATURE_BYTES = 64

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519Sign(message, secretKey)
}

/** False for a signature of the wrong size or by another key, never an exception. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== 32) return false
  return ed25519Verify(signature, message, publicKey)
}
