export * from './repl.js'
export * from './words.js'
