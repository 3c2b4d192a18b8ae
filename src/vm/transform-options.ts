// How a contract's ES module is rewritten into the body of a factory (see compile.ts). Node runs
// these options through esbuild, the judge page through esbuild-wasm of the very same version
// (RUNTIME_ID names it): the factory text, and so the gas an op meters, is the same byte for byte.

export const CONTRACT_FILENAME = 'contract.js'

export const TRANSFORM_OPTIONS = {
  format: 'cjs',
  loader: 'js',
  target: 'es2022',
  sourcefile: CONTRACT_FILENAME,
  // import() would reach QuickJS's module loader; as a require() call it meets the sandbox's.
  supported: { 'dynamic-import': false },
  logLevel: 'silent',
} as const
