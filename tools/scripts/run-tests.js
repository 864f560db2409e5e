#!/usr/bin/env node
// Runs the whole jest suite and ends with the plain line CI reads: "tests: N passed, N failed".
// A run that executes no test is a failure, never a pass.
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const dir = mkdtempSync(join(tmpdir(), 'flotilla-jest-'));
const resultsFile = join(dir, 'results.json');
const jest = spawnSync(
  process.execPath,
  [
    require.resolve('jest/bin/jest'),
    '--config',
    join(__dirname, '..', 'testing', 'jest.config.js'),
    '--json',
    `--outputFile=${resultsFile}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env: { ...process.env, TZ: 'UTC' } },
);

let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests;
  // A suite that failed to load counts as a failure even though it ran no test.
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
} catch {
  failed = 1;
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(jest.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
