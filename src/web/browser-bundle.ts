// One esbuild bundle of a browser script for the pages the HTTP API serves: every page targets the
// same browsers and loads its script as one ES module, so they share these options.

import { build, type Plugin } from 'esbuild'

export interface BrowserBundleOptions {
  minify?: boolean
  plugins?: Plugin[]
}

/** The bundled text of `entry` (a compiled .js file) and everything it imports. */
export async function bundleBrowserScript(entry: string, opts: BrowserBundleOptions = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    minify: opts.minify ?? false,
    plugins: opts.plugins ?? [],
  })
  return result.outputFiles[0].text
}
