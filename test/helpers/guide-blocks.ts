// The code blocks of docs/contracts.md, with the tags after the language (```js contract name=x).

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'

export interface Block {
  lang: string
  tags: string[]
  name: string | null
  code: string
  /** 1-based line of the opening fence in the guide, for messages. */
  line: number
}

export function blocks(markdown: string): Block[] {
  const found: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)((?: [\w=-]+)*)$/.exec(lines[i])
    if (open === null) continue
    const end = lines.indexOf('```', i + 1)
    assert.ok(end > i, `the code block at line ${i + 1} of the guide is not closed`)
    const tags = open[2].trim().split(/\s+/).filter(Boolean)
    const named = tags.find((t) => t.startsWith('name='))
    found.push({ lang: open[1], tags, name: named ? named.slice(5) : null, code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1 })
    i = end
  }
  return found
}

export async function guideBlocks(): Promise<Block[]> {
  return blocks(await readFile(path.resolve('docs/contracts.md'), 'utf8'))
}
