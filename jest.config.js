/** Tests run from TypeScript sources (no build needed); packages resolve to their src/. */
module.exports = {
  testEnvironment: 'node',
  // fit yields to the event loop, so jest's timer now sees long trainings (before, a synchronous
  // fit finished before any timer could fire); a minute still catches a hang
  testTimeout: 60_000,
  roots: ['<rootDir>/packages', '<rootDir>/tests', '<rootDir>/bench'],
  testMatch: ['**/test/**/*.test.ts', '<rootDir>/tests/**/*.test.ts', '<rootDir>/bench/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  moduleNameMapper: {
    // the Node entries (src/node.ts), as Node resolves the packages; autograd has one entry
    '^@seqlab/(tensor|layers|datasets)$': '<rootDir>/packages/$1/src/node',
    '^@seqlab/autograd$': '<rootDir>/packages/autograd/src',
    '^@seqlab/tensor/ndarray$': '<rootDir>/packages/tensor/src/ndarray_interop',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // says at the end of a run when the browser tests could not run (no Chromium)
  reporters: ['default', '<rootDir>/tests/support/browser_reporter.js'],
};
