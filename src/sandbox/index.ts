export * from './differences.js'
export * from './mark.js'
export * from './sandbox.js'
