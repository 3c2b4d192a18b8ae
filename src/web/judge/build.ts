// Builds the judge page, once per process: the compiled client/main.js bundled by esbuild for the
// browser, with every module that has a `.browser.js` twin beside it replaced by the twin (the
// crypto, the QuickJS module, the contract transform), and the QuickJS and esbuild-wasm modules
// embedded gzipped. The result is one HTML file that works from disk.

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { Plugin } from 'esbuild'
import { bundleBrowserScript } from '../browser-bundle.js'
import { judgeHtml } from './page.js'

const ENTRY = fileURLToPath(new URL('./client/main.js', import.meta.url))
const WASM_MODULE = 'glassbox-judge:wasm'

const require = createRequire(import.meta.url)

function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file)
}

async function gzBase64(file: string): Promise<string> {
  return (await promisify(gzip)(await readFile(file), { level: 9 })).toString('base64')
}

/** Our modules' browser twins, and the embedded WebAssembly as a module of its own. */
export function browserPlugin(wasm: { quickjs: string; esbuild: string }): Plugin {
  return {
    name: 'glassbox-browser',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const twin = path.resolve(args.resolveDir, args.path).replace(/\.js$/, '.browser.js')
        return args.path.endsWith('.js') && existsSync(twin) ? { path: twin } : undefined
      })
      b.onResolve({ filter: new RegExp(`^${WASM_MODULE}$`) }, () => ({ path: WASM_MODULE, namespace: 'glassbox-wasm' }))
      b.onLoad({ filter: /.*/, namespace: 'glassbox-wasm' }, () => ({
        contents: `export const QUICKJS_WASM_GZ_BASE64 = ${JSON.stringify(wasm.quickjs)}\nexport const ESBUILD_WASM_GZ_BASE64 = ${JSON.stringify(wasm.esbuild)}\n`,
        loader: 'js',
      }))
    },
  }
}

export interface JudgePageBuild {
  html: string
  ms: number
}

let built: Promise<JudgePageBuild> | null = null

/** The judge page's HTML, built on first call and kept for the life of the process. */
export function judgePageHtml(): Promise<JudgePageBuild> {
  built ??= buildJudgePage()
  return built
}

async function buildJudgePage(): Promise<JudgePageBuild> {
  const started = performance.now()
  const [quickjs, esbuild] = await Promise.all([
    gzBase64(packageFile('@jitl/quickjs-wasmfile-release-sync', 'dist/emscripten-module.wasm')),
    gzBase64(packageFile('esbuild-wasm', 'esbuild.wasm')),
  ])
  const script = await bundleBrowserScript(ENTRY, { minify: true, plugins: [browserPlugin({ quickjs, esbuild })] })
  return { html: judgeHtml(script), ms: performance.now() - started }
}
