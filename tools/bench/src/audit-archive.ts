import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { createDataSource } from '@flotilla/platform/persistence';
import { startFlotillaNode, startPostgresServer } from '@flotilla/testing';

import { readOptions, wholeNumber } from './bench-options';
import { runBenchmark } from './bench-runner';
import { formatTable, printVerdicts, progress, seconds } from './report';

const USAGE = `The audit archive rate (issue 11): a node (npm start's launcher, PostgreSQL) whose trail holds
--events events recorded over --days past days (seeded through the real chain with the node's key,
by the audit lib's seeding script), then the retention is set so all of them are due: the node's
archiver writes each day to EventArchives/events-YYYY-MM-DD.jsonl (every link checked on the way),
signs and records its manifest, and deletes the day's rows. Timed from the change to the last day
purged; then the archives are verified offline (npm run audit:verify) and that is timed too.
Usage: npm run bench:audit-archive -- [options]`;

const options = readOptions(USAGE, {
  events: { default: '200000', help: 'events to archive' },
  days: { default: '10', help: 'days they are spread over (one archive each)' },
});

const DAY_MS = 86_400_000;
const repoRoot = resolve(__dirname, '..', '..', '..');

/** Runs a repository script with swc; resolves with its output and how long it took. */
function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(repoRoot, script), ...args], {
      cwd: repoRoot,
      env: { ...process.env, SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolveRun({ output, ms: Date.now() - started })
        : rejectRun(new Error(`${script} exited ${code}:\n${output}`)),
    );
  });
}

runBenchmark(async (teardown) => {
  const days = wholeNumber('days', options.days, 1, 365);
  const events = wholeNumber('events', options.events, days, 50_000_000);
  const perDay = Math.ceil(events / days);
  if (!process.env['FLOTILLA_TEST_PG_BASE_URL']) {
    const server = await teardown.use('PostgreSQL', startPostgresServer(), (started) => started.stop());
    process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
  }
  progress('starting a node');
  const node = await teardown.use(
    'node',
    startFlotillaNode({ env: { FLOTILLA_TASK_CAP: '0', FLOTILLA_AUDIT_ARCHIVE_INTERVAL_MS: '200' } }),
    (started) => started.stop(),
  );
  const dataSource = await teardown.use(
    'the database connection',
    createDataSource(
      { dialect: 'postgres', url: node.databaseUrl },
      { entities: [], applicationName: 'flotilla-bench' },
    ).initialize(),
    (connection) => connection.destroy(),
  );
  // Nothing is due while seeding.
  await dataSource.query('UPDATE audit_settings SET retention_days = 36500 WHERE id = 1');
  // The node's PKI: the launcher's own in its data folder, unless FLOTILLA_PKI_DIR names one.
  const pkiDir = process.env['FLOTILLA_PKI_DIR'] ?? join(dirname(node.sharedStorage), 'pki');
  const firstDay = new Date(Math.floor((Date.now() - (100 + days) * DAY_MS) / DAY_MS) * DAY_MS)
    .toISOString()
    .slice(0, 10);
  progress(
    `seeding ${(perDay * days).toLocaleString('en')} chained events over ${days} days from ${firstDay}`,
  );
  const seeded = await runScript(
    'libs/audit/trail/src/archive/seed-archivable-trail.script.ts',
    ['--first-day', firstDay, '--days', String(days), '--per-day', String(perDay), '--replace'],
    { FLOTILLA_DB_DIALECT: 'postgres', FLOTILLA_DB_URL: node.databaseUrl, FLOTILLA_PKI_DIR: pkiDir },
  );
  await dataSource.query('VACUUM ANALYZE audit_events');
  progress(`seeded in ${seconds(seeded.ms)}; setting the retention to 90 days (all of them due)`);

  const started = Date.now();
  await dataSource.query('UPDATE audit_settings SET retention_days = 90 WHERE id = 1');
  for (;;) {
    const [row] = await dataSource.query<{ n: string }[]>(
      'SELECT COUNT(*) AS n FROM audit_archives WHERE purged_at IS NOT NULL',
    );
    if (Number(row?.n) >= days) break;
    if (Date.now() - started > 3_600_000) throw new Error('not archived within an hour');
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  const elapsedMs = Date.now() - started;
  const folder = join(node.sharedStorage, 'EventArchives');
  const files = (await readdir(folder)).filter((name) => name.endsWith('.jsonl'));
  const bytes = (await Promise.all(files.map((name) => stat(join(folder, name))))).reduce(
    (sum, s) => sum + s.size,
    0,
  );
  const [left] = await dataSource.query<{ n: string }[]>(
    'SELECT COUNT(*) AS n FROM audit_events WHERE sequence_number <= $1',
    [perDay * days],
  );
  progress('verifying the archives offline');
  const verified = await runScript(
    'tools/audit-verify/src/main.ts',
    [folder, '--public-key', join(pkiDir, 'audit', 'checkpoint.pub')],
    {},
  );
  const total = perDay * days;
  const mb = bytes / 1024 / 1024;
  process.stdout.write(
    `\nArchiving ${total.toLocaleString('en')} events over ${days} days (PostgreSQL, one node, load average ${loadavg()[0]?.toFixed(1)})\n\n` +
      formatTable(
        ['step', 'time', 'events/s', 'MB/s'],
        [
          [
            'archive (write + sign + record + delete)',
            seconds(elapsedMs),
            Math.round(total / (elapsedMs / 1000)).toLocaleString('en'),
            (mb / (elapsedMs / 1000)).toFixed(1),
          ],
          [
            'offline verification of the folder',
            seconds(verified.ms),
            Math.round(total / (verified.ms / 1000)).toLocaleString('en'),
            (mb / (verified.ms / 1000)).toFixed(1),
          ],
        ],
      ) +
      `\n\n${files.length} archives, ${mb.toFixed(1)} MB of JSONL (${Math.round(bytes / total)} bytes per event); seeding took ${seconds(seeded.ms)}\n`,
  );
  return printVerdicts([
    {
      target: 'every seeded event left the database',
      measured: `${left?.n} left`,
      passed: Number(left?.n) === 0,
    },
    {
      target: `${days} archives on shared storage`,
      measured: `${files.length}`,
      passed: files.length === days,
    },
    {
      target: 'the archives verify offline',
      measured: verified.output.trim().split('\n').at(-1) ?? '',
      passed: /^intact:/m.test(verified.output),
    },
  ]);
});
