// The bearer token that lets a caller publish ops through the server's oplog. Compared in
// constant time: both sides are hashed first, so neither the length nor a prefix of the token
// leaks through the time a comparison takes.

import { createHash, timingSafeEqual } from 'node:crypto'
import { UsageError } from '../../errors.js'

export interface BearerAuth {
  /** False when the server was started without a token: nobody may write. */
  readonly writesEnabled: boolean
  /** Whether an Authorization header carries the server's token. */
  check(header: string | undefined): boolean
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

export function bearerAuth(token: string | null): BearerAuth {
  if (token === null) return { writesEnabled: false, check: () => false }
  if (token.length === 0) throw new UsageError('USAGE', 'the HTTP API token must not be empty (pass null to disable writes)')
  const expected = digest(token)
  return {
    writesEnabled: true,
    check(header) {
      const given = header === undefined ? undefined : BEARER.exec(header)?.[1]
      // The token is never empty, so the digest of '' (no token given) never matches.
      return timingSafeEqual(digest(given ?? ''), expected)
    },
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
