#!/usr/bin/env node
// Runs the jest suites and ends with the plain line CI reads: "tests: N passed, N failed".
// A run that executes no test is a failure, never a pass.
//
//   node tools/scripts/run-tests.js                 everything: the main suite, the HA suite, the fault suite
//   node tools/scripts/run-tests.js --suite main    unit, integration, e2e (jest in parallel)
//   node tools/scripts/run-tests.js --suite ha      HA clusters (tools/ha), one spec at a time
//   node tools/scripts/run-tests.js --suite faults  infrastructure faults (tools/faults), one spec at a time
//   node tools/scripts/run-tests.js <jest args>     one jest run with these arguments (main suite,
//                                                   or the HA suite with FLOTILLA_TEST_SUITE=ha)
//
// The HA and fault specs run after the rest and in band: each starts clusters of up to 18 processes behind
// HAProxy, and on a small machine running them beside other specs turns timings into flakes.
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const config = join(__dirname, '..', 'testing', 'jest.config.js');

/** One jest run; returns its counts (a run whose results cannot be read counts as one failure). */
function runJest(args, extraEnv) {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-jest-'));
  const resultsFile = join(dir, 'results.json');
  const jest = spawnSync(
    process.execPath,
    [require.resolve('jest/bin/jest'), '--config', config, '--json', `--outputFile=${resultsFile}`, ...args],
    { stdio: 'inherit', env: { ...process.env, TZ: 'UTC', ...extraEnv } },
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
  return { passed, failed, ok: jest.status === 0 };
}

const SUITES = {
  main: () => runJest([], { FLOTILLA_TEST_SUITE: 'main' }),
  ha: () => runJest(['tools/ha', '--runInBand'], { FLOTILLA_TEST_SUITE: 'ha' }),
  faults: () => runJest(['tools/faults', '--runInBand'], { FLOTILLA_TEST_SUITE: 'faults' }),
};

const argv = process.argv.slice(2);
const suiteFlag = argv.indexOf('--suite');
let runs;
if (suiteFlag >= 0) {
  const name = argv[suiteFlag + 1];
  if (!SUITES[name]) throw new Error(`unknown suite ${name}: main, ha or faults`);
  runs = [SUITES[name]()];
} else if (argv.length > 0) {
  runs = [runJest(argv, {})];
} else {
  runs = [SUITES.main(), SUITES.ha(), SUITES.faults()];
}

const passed = runs.reduce((sum, run) => sum + run.passed, 0);
const failed = runs.reduce((sum, run) => sum + run.failed, 0);
const ok = runs.every((run) => run.ok);
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
