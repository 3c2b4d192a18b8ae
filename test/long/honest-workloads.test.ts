// No false breach, at full scale (`npm run test:long`): every random honest workload of
// test/verify-honest.test.ts with all its runs, from new seeds each time (npm test runs a quarter
// of them from a fixed seed). A failure report gives FC_SEED and FC_PATH to replay it.

process.env.FC_SCALE ??= '1'
await import('../verify-honest.test.js')
