// One Jest run, two projects: fast unit specs next to the code, and integration/end-to-end
// suites that boot real apps against a real database (PGlite by default, PostgreSQL when
// TEST_DATABASE_URL is set, see libs/testing).
'use strict';
const moduleNameMapper = {
  '^@gatehouse/(contracts|persistence|identity|rbac|client-registry|audit|testing)$':
    '<rootDir>/libs/$1/src/index.ts',
  // the SDK package (packages/sdk, an npm workspace) from its sources, as the libs are
  '^@gatehouse/sdk$': '<rootDir>/packages/sdk/src/index.ts',
};
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': '<rootDir>/scripts/jest-transform.js' },
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper,
  // packages/cli is the npm package `gatehouse`, as the root is: out of Jest's module map (its
  // suites spawn the binary, test/cli), so the two names do not collide
  modulePathIgnorePatterns: ['<rootDir>/packages/cli/'],
  rootDir: __dirname,
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/services/',
        // .ci/run's second pass (on PostgreSQL) leaves out what cannot depend on the database: the
        // fuzzers, the authorization matrix, the dependency rules, the log grep, packet and connection
        // limits, the gateway starting without admin-api, the mosquitto_* client checks.
        ...(process.env.GATEHOUSE_TEST_DATABASE_PASS === '1'
          ? [
              '<rootDir>/test/(adversarial|architecture)/',
              '<rootDir>/test/observability/logs\\.',
              '<rootDir>/test/gateway/(connect-limits|protocol-limits|mosquitto-clients|startup)\\.',
            ]
          : []),
      ],
    },
    // Suites that need external servers (NATS, Redis): only when their URL is given (.ci/run does).
    ...(process.env.TEST_NATS_URL || process.env.TEST_REDIS_URL
      ? [{ ...common, displayName: 'services', testMatch: ['<rootDir>/test/services/**/*.e2e-spec.ts'] }]
      : []),
  ],
  // A global option (Jest ignores it inside `projects`): e2e suites boot real apps and databases.
  testTimeout: 60000,
  // One initdb per run instead of one per in-memory database (scripts/jest-global-setup.js).
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  globalTeardown: '<rootDir>/scripts/jest-global-teardown.js',
};
