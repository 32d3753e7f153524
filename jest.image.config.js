// @ts-check
/**
 * `npm run test:image`: builds the Dockerfile with a real Docker engine and runs the image against
 * the machine's PostgreSQL. Minutes long and root-only (it may start dockerd), so never part of
 * `npm test` (jest.config.js matches *.spec.ts and *.e2e-spec.ts, not *.image-spec.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config, as jest.config.js is
const base = require('./jest.config.js');

const e2e = base.projects?.find(
  (project) => typeof project === 'object' && project.displayName === 'e2e',
);
if (typeof e2e !== 'object') {
  throw new Error('jest.config.js has no e2e project to derive the image run from');
}

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  modulePathIgnorePatterns: base.modulePathIgnorePatterns,
  testEnvironment: 'node',
  transform: e2e.transform,
  testMatch: ['<rootDir>/test/image/**/*.image-spec.ts'],
  // Builds (vfs storage, shared cores) take minutes; each step has its own deadline below this.
  testTimeout: 60 * 60_000,
  maxWorkers: 1,
  verbose: true,
};
