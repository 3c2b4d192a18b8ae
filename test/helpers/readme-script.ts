// Reads the README's walkthroughs as scripts: each shell block's lines are commands, and a comment
// `# -> TEXT` (after a command, or on the line below it) is a sample of what it prints. In a sample
// `<NAME>` stands for a value the run learns (a key) and `…` for anything; the commands use the same
// `<NAME>`s. Any other comment describes and is not checked.

export interface ScriptStep {
  /** The command as the README writes it. */
  command: string
  /** Ends with `&`: started in the background and left running. */
  background: boolean
  /** What the README says it prints, if it says. */
  samples: string[]
}

export interface ReadmeSection {
  title: string
  /** The section's text, up to the next heading (of any level). */
  text: string
}

export function section(readme: string, title: string): ReadmeSection {
  const lines = readme.split('\n')
  // A line starting with `#` inside a fenced block is a shell comment, not a heading.
  let fenced = false
  const heading = lines.map((l) => {
    if (l.startsWith('```')) fenced = !fenced
    return !fenced && /^#+ /.test(l)
  })
  const start = lines.findIndex((l, i) => heading[i] && l.replace(/^#+ /, '') === title)
  if (start === -1) throw new Error(`the README has no section "${title}"`)
  let end = lines.findIndex((_, i) => i > start && heading[i])
  if (end === -1) end = lines.length
  return { title, text: lines.slice(start, end).join('\n') }
}

/** The fenced blocks of a section, with their info string (`sh`, `js`, ``). */
export function blocks(s: ReadmeSection): { lang: string; body: string; before: string }[] {
  const found: { lang: string; body: string; before: string }[] = []
  const re = /```([a-z]*)\n([\s\S]*?)```/g
  let last = 0
  for (const m of s.text.matchAll(re)) {
    found.push({ lang: m[1], body: m[2], before: s.text.slice(last, m.index) })
    last = (m.index ?? 0) + m[0].length
  }
  return found
}

const SAMPLE = /#\s*->\s*(.*)$/

/** The steps of the shell blocks (those with no language or `sh`) of a section, in order. */
export function steps(s: ReadmeSection): ScriptStep[] {
  const out: ScriptStep[] = []
  for (const b of blocks(s)) {
    if (b.lang !== '' && b.lang !== 'sh') continue
    for (const raw of b.body.split('\n')) {
      const line = raw.trim()
      if (line === '') continue
      if (line.startsWith('#')) {
        const sample = SAMPLE.exec(line)
        if (sample && out.length > 0) out.at(-1)!.samples.push(sample[1].trim())
        continue
      }
      const hash = line.search(/\s#\s/)
      const code = (hash === -1 ? line : line.slice(0, hash)).trim()
      const comment = hash === -1 ? '' : line.slice(hash).trim()
      const background = code.endsWith('&')
      const sample = SAMPLE.exec(comment)
      out.push({ command: background ? code.slice(0, -1).trim() : code, background, samples: sample ? [sample[1].trim()] : [] })
    }
  }
  return out
}

/**
 * A sample as a pattern over one line of output. `<NAME>` captures a hex key into `NAME` unless it
 * is already known, in which case it must be that value; `…` matches anything.
 */
export function samplePattern(sample: string, known: ReadonlyMap<string, string>): { re: RegExp; names: string[] } {
  const names: string[] = []
  let source = ''
  for (const part of sample.split(/(<[A-Z]+>|…)/)) {
    if (part === '…') source += '.*?'
    else if (/^<[A-Z]+>$/.test(part)) {
      const name = part.slice(1, -1)
      const value = known.get(name)
      if (value !== undefined) source += escape(value)
      else {
        names.push(name)
        source += '([0-9a-f]{64})'
      }
    } else source += escape(part)
  }
  return { re: new RegExp(source), names }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Splits a command line into words the way a shell would for the README's simple quoting. */
export function words(command: string): string[] {
  const out: string[] = []
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g
  for (const m of command.matchAll(re)) out.push(m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]))
  return out
}
