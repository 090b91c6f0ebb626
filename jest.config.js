/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  // The pure-JS backend is slow; tests keep their inputs tiny, but a few still take tens of seconds.
  testTimeout: 300000,
  maxWorkers: 2,
  // dist/ is built once before all tests (the CLI and package tests run it).
  globalSetup: '<rootDir>/test/global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/test/setup-backend.ts'],
};
