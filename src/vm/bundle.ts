// Turns a contract on disk (.js, .ts, or several files) into the one ES module the index stores.

import esbuild from 'esbuild'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { ContractError } from '../errors.js'

export const CONTRACT_MODULES = ['contract', 'assert', 'util'] as const

/**
 * A single plain `.js` file is stored verbatim (what the author wrote is what monitors read);
 * TypeScript or a file with relative imports is bundled into one ES module.
 */
export async function bundleContract(file: string): Promise<string> {
  let result: esbuild.BuildResult<{ write: false; metafile: true }>
  try {
    result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2020',
      external: [...CONTRACT_MODULES],
      logLevel: 'silent',
      charset: 'utf8',
    })
  } catch (err) {
    const failure = err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }
    const first = failure.errors?.[0]
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : ''
    throw new ContractError('CONTRACT_BUNDLE', `cannot bundle ${file}: ${first?.text ?? (err as Error).message}${where}`)
  }
  const inputs = Object.keys(result.metafile.inputs)
  const ext = path.extname(file)
  if (inputs.length === 1 && (ext === '.js' || ext === '.mjs')) return readFile(file, 'utf8')
  return result.outputFiles[0].text
}
