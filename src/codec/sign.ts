// Ed25519 signatures (the scheme Hypercore signs its logs with), over canonical bytes only.

import sodium from 'sodium-native'

export const SIGNATURE_BYTES = 64

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const sig = Buffer.alloc(SIGNATURE_BYTES)
  sodium.crypto_sign_detached(sig, asBuffer(message), asBuffer(secretKey))
  return new Uint8Array(sig)
}

/** False for a signature of the wrong size or by another key, never an exception. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== 32) return false
  return sodium.crypto_sign_verify_detached(asBuffer(signature), asBuffer(message), asBuffer(publicKey))
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}
