export * from './canonical.js'
export * from './hash.js'
export * from './messages.js'
