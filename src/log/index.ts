export * from './store.js'
export * from './manifest.js'
