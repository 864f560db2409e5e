// One jest run for the whole workspace: unit specs (*.spec.ts), integration specs against real
// servers (*.int-spec.ts), the data-layer contract suite (*.contract-spec.ts: on PostgreSQL here, and
// again on SQL Server with FLOTILLA_TEST_DIALECT=mssql, see tools/scripts/run-tests.js) and
// end-to-end specs against running processes (*.e2e-spec.ts).
const { readFileSync } = require('node:fs');

const { compilerOptions } = JSON.parse(readFileSync(`${__dirname}/../../tsconfig.base.json`, 'utf8'));
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: `${__dirname}/../..`,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  // *.scale-spec.ts (correctness at directory scale, minutes each) run only in `npm run test:scale`,
  // outside `npm test`, to keep CI's time.
  testMatch:
    process.env.FLOTILLA_TEST_SUITE === 'scale'
      ? ['**/*.scale-spec.ts']
      : ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.contract-spec.ts', '**/*.e2e-spec.ts'],
  // The portal's own sources are Angular (built by @angular/build); only its browser e2e runs here.
  // The HA suite (real multi-node clusters behind HAProxy) and the fault suite (database restarts,
  // full or read-only shared storage, odd proxy headers) run apart: `npm run test:ha`, `test:faults`.
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/apps/portal/src/',
    ...(process.env.FLOTILLA_TEST_SUITE === 'ha' ? [] : ['<rootDir>/tools/ha/']),
    ...(process.env.FLOTILLA_TEST_SUITE === 'faults' ? [] : ['<rootDir>/tools/faults/']),
  ],
  maxWorkers: 2,
  transform: { '^.+\\.ts$': swcTransform },
  moduleNameMapper,
  globalSetup: '<rootDir>/tools/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/tools/testing/src/jest-global-teardown.ts',
  // Test code calling a service for a user plays the gateway: it signs caller tokens with the run's
  // test PKI key (made by the global setup), as the real gateway does.
  setupFiles: ['<rootDir>/libs/platform/grpc/src/call-authorization/testing/jest-caller-token-minting.ts'],
  // On Babelfish a fresh database's first migration alone takes 14-20 s under load (its catalogue
  // queries are slow), so a contract spec's beforeAll needs more room there.
  testTimeout: process.env.FLOTILLA_TEST_DIALECT === 'mssql' ? 120_000 : 30_000,
};
