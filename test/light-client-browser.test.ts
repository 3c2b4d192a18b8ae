// The light client has no Node-only dependency (docs/protocol.md §11.4): bundled for the browser,
// with the platform seam's browser twins as the judge page uses them, nothing of Node remains.

import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { bundleBrowserScript } from '../src/web/browser-bundle.js'
import { browserPlugin } from '../src/web/judge/build.js'

test('the light client bundles for the browser without Node built-ins, libsodium or Hypercore', async () => {
  const entry = path.resolve('dist/src/claims/light-client.js')
  const text = await bundleBrowserScript(entry, { plugins: [browserPlugin({ quickjs: '', esbuild: '' })] })
  assert.match(text, /LightClient = class/, 'the bundle holds the light client')
  for (const node of ['node:crypto', 'node:fs', 'sodium-native', 'hypercore/lib', 'corestore', 'require("crypto")']) {
    assert.ok(!text.includes(node), `the bundle does not pull in ${node}`)
  }
  // The platform seam's browser twin is the one bundled: noble's SHA-256, not node:crypto's createHash.
  assert.doesNotMatch(text, /createHash\(/)
  assert.match(text, /nobleSha256|sha256/)
})
