export * from './attestation.js'
export * from './software-test.js'
