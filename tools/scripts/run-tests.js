#!/usr/bin/env node
// Runs the jest suites and ends with the plain line CI reads: "tests: N passed, N failed".
// A run that executes no test is a failure, never a pass.
//
//   node tools/scripts/run-tests.js                 everything: main, the SQL Server contract run, HA, faults
//   node tools/scripts/run-tests.js --suite main    unit, integration, contract (on PostgreSQL), e2e (jest in parallel)
//   node tools/scripts/run-tests.js --suite mssql   the data-layer contract suite (*.contract-spec.ts) again,
//                                                   on SQL Server (FLOTILLA_TEST_MSSQL_URL, Docker, or Babelfish)
//   node tools/scripts/run-tests.js --suite ha      HA clusters (tools/ha), one spec at a time
//   node tools/scripts/run-tests.js --suite faults  infrastructure faults (tools/faults), one spec at a time
//   node tools/scripts/run-tests.js --suite scale   directory-scale checks (*.scale-spec.ts); NOT in the default run
//   node tools/scripts/run-tests.js <jest args>     one jest run with these arguments (main suite,
//                                                   or the HA suite with FLOTILLA_TEST_SUITE=ha)
//
// The HA and fault specs run after the rest and in band: each starts clusters of up to 18 processes behind
// HAProxy, and on a small machine running them beside other specs turns timings into flakes.
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const config = join(__dirname, '..', 'testing', 'jest.config.js');
/** Why SQL Server tests were skipped, one entry per run that had to skip them. */
const skipped = [];

/**
 * One jest run; returns its counts (a run whose results cannot be read counts as one failure).
 * A run that needs a SQL Server on a machine without one is reported as skipped, saying why, unless
 * FLOTILLA_TEST_REQUIRE_MSSQL=1 (CI), where that is a failure.
 */
function runJest(args, extraEnv) {
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-jest-'));
  const resultsFile = join(dir, 'results.json');
  const skipReport = join(dir, 'mssql-skipped.txt');
  const jest = spawnSync(
    process.execPath,
    [require.resolve('jest/bin/jest'), '--config', config, '--json', `--outputFile=${resultsFile}`, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, TZ: 'UTC', FLOTILLA_TEST_SKIP_REPORT: skipReport, ...extraEnv },
    },
  );
  if (existsSync(skipReport)) skipped.push(readFileSync(skipReport, 'utf8'));
  if (
    existsSync(skipReport) &&
    (extraEnv.FLOTILLA_TEST_DIALECT ?? process.env.FLOTILLA_TEST_DIALECT) === 'mssql'
  ) {
    rmSync(dir, { recursive: true, force: true });
    return { passed: 0, failed: 0, ok: true };
  }
  let passed = 0;
  let failed = 0;
  try {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    reportDurations(args, extraEnv, results, Date.now() - startedAt);
    passed = results.numPassedTests;
    // A suite that failed to load counts as a failure even though it ran no test.
    failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  } catch {
    failed = 1;
  }
  rmSync(dir, { recursive: true, force: true });
  return { passed, failed, ok: jest.status === 0 };
}

/**
 * Where a run's time went: its wall time and its slowest files, so a CI log shows what to speed up
 * or move out of `npm test` when the whole run grows (CI's budget: well under 45 minutes).
 */
function reportDurations(args, extraEnv, results, wallMs) {
  const suite = [
    extraEnv.FLOTILLA_TEST_SUITE ?? process.env.FLOTILLA_TEST_SUITE,
    extraEnv.FLOTILLA_TEST_DIALECT,
  ]
    .filter(Boolean)
    .join('/');
  const files = results.testResults
    .map((file) => ({ name: file.name.replace(`${process.cwd()}/`, ''), ms: file.endTime - file.startTime }))
    .filter((file) => Number.isFinite(file.ms))
    .sort((a, b) => b.ms - a.ms);
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [`\n[durations] ${suite || args.join(' ')}: ${seconds(wallMs)} wall, ${files.length} files`];
  for (const file of files.slice(0, 12))
    lines.push(`[durations]   ${seconds(file.ms).padStart(8)}  ${file.name}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const SUITES = {
  main: () => runJest([], { FLOTILLA_TEST_SUITE: 'main' }),
  // The same contract files as in main, on the other database: not copies, one suite per dialect.
  // Two files at a time: on Babelfish each test database has a server of its own (test-database.ts),
  // so one file's DDL no longer breaks another's name look-ups, as it did on a shared server. The
  // files wait on Babelfish's slow catalogue more than they use CPU: 340 s with two workers against
  // 652 s with one (CI on 2026-12-02), each file taking as long as alone.
  mssql: () =>
    runJest(['--testMatch', '**/*.contract-spec.ts', '--maxWorkers=2'], {
      FLOTILLA_TEST_SUITE: 'main',
      FLOTILLA_TEST_DIALECT: 'mssql',
    }),
  ha: () => runJest(['tools/ha', '--runInBand'], { FLOTILLA_TEST_SUITE: 'ha' }),
  // Not part of `npm test` (minutes per file): correctness at directory scale, `npm run test:scale`.
  scale: () => runJest(['--runInBand'], { FLOTILLA_TEST_SUITE: 'scale' }),
  faults: () =>
    runJest(['tools/faults', '--runInBand'], { FLOTILLA_TEST_SUITE: 'faults', FLOTILLA_TEST_MSSQL: 'off' }),
};

const argv = process.argv.slice(2);
const suiteFlag = argv.indexOf('--suite');
let runs;
if (suiteFlag >= 0) {
  const name = argv[suiteFlag + 1];
  if (!SUITES[name]) throw new Error(`unknown suite ${name}: main, mssql, ha, faults or scale`);
  runs = [SUITES[name]()];
} else if (argv.length > 0) {
  runs = [runJest(argv, {})];
} else {
  runs = [SUITES.main(), SUITES.mssql(), SUITES.ha(), SUITES.faults()];
}

const passed = runs.reduce((sum, run) => sum + run.passed, 0);
const failed = runs.reduce((sum, run) => sum + run.failed, 0);
const ok = runs.every((run) => run.ok);
for (const reason of new Set(skipped)) process.stdout.write(`\nSQL Server tests SKIPPED: ${reason}\n`);
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
