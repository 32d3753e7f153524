// @ts-check
/**
 * `npm run test:soak`: the longer reliability runs (`test/**\/*.soak-spec.ts`), outside `npm test`.
 * Same transform, database setup and e2e settings as jest.config.js; loopback only, bounded.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config, as jest.config.js is
const base = require('./jest.config.js');

const e2e = base.projects?.find(
  (project) => typeof project === 'object' && project.displayName === 'e2e',
);
if (typeof e2e !== 'object') {
  throw new Error('jest.config.js has no e2e project to derive the soak run from');
}

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  modulePathIgnorePatterns: base.modulePathIgnorePatterns,
  // Each soak test bounds itself; this is the backstop.
  testTimeout: 600_000,
  projects: [
    {
      ...e2e,
      displayName: 'soak',
      testMatch: ['<rootDir>/test/**/*.soak-spec.ts'],
      slowTestThreshold: 300,
    },
  ],
};
