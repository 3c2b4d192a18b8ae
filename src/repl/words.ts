// Splits a REPL line into words the way a shell would for the cases people type: spaces separate,
// '…' keeps everything literally, "…" keeps spaces and takes \" and \\ escapes, so JSON can be quoted.

import { UsageError } from '../errors.js'

export function splitWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      continue
    }
    inWord = true
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      if (end === -1) throw new UsageError('USAGE', `unclosed ' in: ${line}`)
      word += line.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      let j = i + 1
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++
        word += line[j]
      }
      if (j >= line.length) throw new UsageError('USAGE', `unclosed " in: ${line}`)
      i = j
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i]
    } else {
      word += c
    }
  }
  if (inWord) words.push(word)
  return words
}
