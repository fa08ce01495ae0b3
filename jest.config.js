/**
 * `npm test` is this: every suite, including the type check, ESLint and the Prettier check
 * (test/checks/typecheck.test.ts, lint.test.ts), which run beside the others instead of before
 * them. Tests are transpiled by SWC (no type check per file: the typecheck suite does it once).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  snapshotSerializers: ['<rootDir>/test/harness/asset-hash-serializer.js'],
  setupFiles: ['<rootDir>/test/harness/synth-environment.js'],
  testSequencer: '<rootDir>/test/harness/test-sequencer.js',
  // Jest's default on this 2-core machine is cores - 1 = one worker. Three keep both cores busy
  // while suites wait on servers, Chromium, Python or tsc (measured: 1 worker 8 min, 2 workers
  // 3 min 10 s, 3 workers 2 min 42-54 s, 4 no faster).
  maxWorkers: 3,
  testTimeout: 60_000,
  // Every suite closes the servers and workers it starts; this only keeps a leak in a failing
  // test from holding CI until its time limit.
  forceExit: true,
};
