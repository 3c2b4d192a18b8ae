export * from './key-order.js'
export * from './memory-state.js'
export * from './index-state.js'
