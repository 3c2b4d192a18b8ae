// The virtual module the page's build (../build.ts) makes: the two WebAssembly modules, gzipped.
declare module 'glassbox-judge:wasm' {
  export const QUICKJS_WASM_GZ_BASE64: string
  export const ESBUILD_WASM_GZ_BASE64: string
}
