// The README and docs name files of the repository (links, and paths in backticks): each must exist,
// so a reader following one never lands nowhere.

import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

const ROOT = process.cwd()
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))]
const TOP = /^(src|test|bench|docs|examples|types)\//

/** A path as written in a doc exists, where a `.js` name may stand for its `.ts` source. */
function exists(p: string): boolean {
  return existsSync(p) || (p.endsWith('.js') && existsSync(p.slice(0, -3) + '.ts'))
}

test('every file the README and docs link to or name in backticks is in the repository', () => {
  const missing: string[] = []
  for (const doc of DOCS) {
    const text = readFileSync(path.join(ROOT, doc), 'utf8')
    for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue
      const resolved = path.join(ROOT, path.dirname(doc), target)
      if (!exists(resolved)) missing.push(`${doc}: link to ${target}`)
    }
    for (const [, named] of text.matchAll(/`([A-Za-z0-9_./-]+)`/g)) {
      if (!TOP.test(named) || named.includes('*')) continue
      if (!exists(path.join(ROOT, named))) missing.push(`${doc}: names ${named}`)
    }
  }
  assert.deepEqual(missing, [])
})
