// State keys are ordered by Unicode code point, which is also the order of their UTF-8 bytes,
// so the order does not depend on a language's string representation (JavaScript compares UTF-16).

/** Maps a UTF-16 code unit so that numeric order of the results is code point order. */
function fixup(c: number): number {
  if (c < 0xd800) return c
  return c >= 0xe000 ? c - 0x800 : c + 0x2000
}

export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return fixup(x) - fixup(y)
  }
  return a.length - b.length
}
