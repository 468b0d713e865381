// Unit specs live beside the code (the alert rules' beside the rules, the benchmark's beside
// the benchmark, the drills' beside the drills); end-to-end tests boot the real app against
// PostgreSQL.
// cockatiel and content-disposition (which @fastify/static, serving Swagger UI, requires) ship ES
// modules only; compiled to CommonJS like our own code, since Jest can require() an ES module
// natively only from Node 24.9 on.
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  '/node_modules/(cockatiel|content-disposition)/.+\\.js$': ['@swc/jest'],
};
const transformIgnorePatterns = [
  '^(?!.*/node_modules/(cockatiel|content-disposition)/).*/node_modules/',
];

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  // The checkout mode is fleet-wide and the e2e files share one database: one file at a time.
  maxWorkers: 1,
  // A leaked Kafka or database client must not keep CI waiting; leaks show as open handles.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/prometheus/**/*.spec.ts',
        '<rootDir>/bench/**/*.spec.ts',
        '<rootDir>/drills/**/*.spec.ts',
      ],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
