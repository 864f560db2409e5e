import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ServerTask } from '@flotilla/api-interfaces';
import { loadFlotillaConfig, SqlDialect } from '@flotilla/platform/config';
import { isMssqlServer, startFlotillaNode, startMssqlServer, startPostgresServer } from '@flotilla/testing';

import { BenchApi } from './bench-cluster';
import { oneOf, readOptions, UsageError, wholeNumber } from './bench-options';
import { startBenchRedis } from './bench-redis';
import { runBenchmark, Teardown } from './bench-runner';
import { LatencySummary, summarise } from './percentiles';
import { pickupLatencies, pickupOnce, PickupTarget, preparePickup } from './pickup-run';
import { formatTable, ms, printVerdicts, progress, seconds, Verdict } from './report';
import { serverDurability } from './server-durability';
import { idealSpanMs, measureThroughput, THROUGHPUT_SCRIPT_SECONDS, ThroughputRun } from './throughput-run';

const USAGE = `Databases side by side in one run: one node (the six services of npm start, no HAProxy) on
PostgreSQL and one on the SQL Server the tests would use (FLOTILLA_TEST_MSSQL_URL, else SQL Server 2022
through Docker, else Babelfish from shared/babelfish), each with its own Redis; figures and the ratio.
Pickup: deployments of a trivial script one after another, alternating between the two nodes;
latency = startedAt - queuedAt (database time).
Throughput: deployments of a script that sleeps 1 s, queued while the node's task cap is 0, then
released; one database after the other; tasks/s = tasks / (last completedAt - first startedAt), database time.
Usage: npm run bench:databases -- [options]`;

const DIALECTS = ['postgres', 'mssql'] as const;

const options = readOptions(USAGE, {
  count: { default: '100', help: 'measured pickup deployments per database' },
  warmup: { default: '3', help: 'pickup deployments run first and not measured' },
  deployments: { default: '300', help: 'throughput deployments per database' },
  cap: { default: '5', help: 'FLOTILLA_TASK_CAP of the node' },
  posters: { default: '4', help: 'concurrent clients queueing the throughput deployments' },
  'poll-ms': {
    help: 'FLOTILLA_POLL_INTERVAL_MS (default: the production default from libs/platform/config)',
  },
  only: { help: 'postgres | mssql: measure one database only (no ratio)' },
  'node-output': { help: "folder to write each node's output to (<dialect>-node.log) when it stops" },
  'no-redis': {
    flag: true,
    help: 'wake executors by polling only (pickup then measures the poll interval, not the database)',
  },
});

interface DatabaseResult {
  dialect: SqlDialect;
  label: string;
  server: string;
  durability: string;
  pickup: LatencySummary;
  pickupNotSuccess: number;
  /** Statuses of pickup deployment requests the server failed (each sent again). */
  pickupFailedRequests: number[];
  /** Undefined when the throughput run failed (throughputError says why). */
  throughput?: ThroughputRun;
  throughputError?: string;
}

interface Settings {
  count: number;
  warmup: number;
  deployments: number;
  cap: number;
  posters: number;
  pollMs: number;
  redis: boolean;
  nodeOutput: string | undefined;
}

interface ProvidedServer {
  label: string;
  describe: string;
  baseUrl: string;
}

/**
 * The server a dialect's node creates its database on, exported the way jest's global setup
 * exports it (startFlotillaNode reads FLOTILLA_TEST_PG_BASE_URL / FLOTILLA_TEST_MSSQL_BASE_URL).
 */
async function provideServer(teardown: Teardown, dialect: SqlDialect): Promise<ProvidedServer> {
  if (dialect === 'postgres') {
    const server = await teardown.use('PostgreSQL (if started here)', startPostgresServer(), (started) =>
      started.stop(),
    );
    process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
    const { hostname, port } = new URL(server.baseUrl);
    return { label: 'PostgreSQL', describe: `PostgreSQL at ${hostname}:${port}`, baseUrl: server.baseUrl };
  }
  const server = await teardown.use('SQL Server (if started here)', startMssqlServer(), (started) =>
    isMssqlServer(started) ? started.stop() : Promise.resolve(),
  );
  if (!isMssqlServer(server)) throw new UsageError(server.unavailable);
  process.env['FLOTILLA_TEST_MSSQL_BASE_URL'] = server.baseUrl;
  process.env['FLOTILLA_TEST_MSSQL_KIND'] = server.kind;
  return {
    label: server.kind === 'babelfish' ? 'SQL Server (Babelfish)' : 'SQL Server',
    describe: server.describe,
    baseUrl: server.baseUrl,
  };
}

/** One database with its own node (and its own Redis, so one node's wake-ups never reach the other). */
interface Contender {
  dialect: SqlDialect;
  label: string;
  server: string;
  durability: string;
  nodeName: string;
  api: BenchApi;
  pickupTarget: PickupTarget;
  pickupTasks: ServerTask[];
}

async function startContender(
  teardown: Teardown,
  dialect: SqlDialect,
  settings: Settings,
): Promise<Contender> {
  const server = await provideServer(teardown, dialect);
  progress(`${server.label}: ${server.describe}`);
  const durability = await serverDurability(dialect, server.baseUrl);
  let redisUrl: string | undefined;
  if (settings.redis) {
    const redis = await teardown.use(`redis-server of ${server.label}`, startBenchRedis(), (started) =>
      started ? started.stop() : Promise.resolve(),
    );
    if (!redis) throw new UsageError('redis-server is not on PATH: install it, or run with --no-redis');
    redisUrl = redis.url;
  }
  const nodeName = `bench-${dialect}`;
  progress(`${server.label}: starting one node`);
  const startedAt = Date.now();
  const node = await teardown.use(
    `the node on ${server.label}`,
    startFlotillaNode({
      dialect,
      env: {
        FLOTILLA_NODE_NAME: nodeName,
        FLOTILLA_TASK_CAP: String(settings.cap),
        FLOTILLA_POLL_INTERVAL_MS: String(settings.pollMs),
        ...(redisUrl ? { FLOTILLA_REDIS_URL: redisUrl } : {}),
      },
    }),
    async (started) => {
      if (settings.nodeOutput) {
        await mkdir(settings.nodeOutput, { recursive: true });
        await writeFile(join(settings.nodeOutput, `${dialect}-node.log`), started.output());
      }
      await started.stop();
    },
  );
  progress(`${server.label}: node ready in ${seconds(Date.now() - startedAt)}`);
  const api = await BenchApi.signIn(node.baseUrl, node);
  return {
    dialect,
    label: server.label,
    server: server.describe,
    durability,
    nodeName,
    api,
    pickupTarget: await preparePickup(api),
    pickupTasks: [],
  };
}

/**
 * Pickup deployments alternate between the databases (one on each, the order swapped every
 * round), so whatever else loads the machine meanwhile weighs on both alike.
 */
async function interleavedPickups(contenders: readonly Contender[], settings: Settings): Promise<void> {
  const total = settings.warmup + settings.count;
  for (let index = 0; index < total; index += 1) {
    const order = index % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const task = await pickupOnce(contender.pickupTarget, { resendFailed: true });
      if (index >= settings.warmup) contender.pickupTasks.push(task);
    }
    if ((index + 1) % 20 === 0) progress(`pickup: ${index + 1}/${total} rounds`);
  }
}

function resultTable(results: readonly DatabaseResult[], settings: Settings): string {
  return formatTable(
    [
      'database',
      'pickup p50',
      'p99',
      'max',
      'mean',
      'tasks/s',
      'span (db)',
      'ideal span',
      'queueing',
      'succeeded',
      'requests failed',
      'most at once',
    ],
    results.map(({ label, pickup, pickupNotSuccess, pickupFailedRequests, throughput }) => [
      label,
      ms(pickup.p50),
      ms(pickup.p99),
      ms(pickup.max),
      ms(pickup.mean),
      ...(throughput
        ? [
            throughput.figures.tasksPerSecond.toFixed(2),
            seconds(throughput.figures.spanMs),
            seconds(idealSpanMs({ count: settings.deployments, cap: settings.cap }, 1)),
            seconds(throughput.queueingMs),
            `${pickup.count - pickupNotSuccess}/${pickup.count} + ${throughput.figures.succeeded}/${throughput.figures.tasks}`,
            String(pickupFailedRequests.length + throughput.failedRequests.length),
            String(Math.max(...[...throughput.figures.byNode.values()].map((load) => load.mostAtOnce))),
          ]
        : [
            'failed',
            '',
            '',
            '',
            `${pickup.count - pickupNotSuccess}/${pickup.count}`,
            String(pickupFailedRequests.length),
            '',
          ]),
    ]),
  );
}

/** Other database / PostgreSQL, for each figure: above 1 is slower for latency, faster for throughput. */
function ratioLines(results: readonly DatabaseResult[]): string[] {
  const base = results.find((result) => result.dialect === 'postgres');
  const other = results.find((result) => result.dialect === 'mssql');
  if (!base || !other) return [];
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return [
    `ratio ${other.label} / PostgreSQL:`,
    `  pickup latency  p50 ${ratio(other.pickup.p50, base.pickup.p50)}, p99 ${ratio(other.pickup.p99, base.pickup.p99)}, mean ${ratio(other.pickup.mean, base.pickup.mean)}  (above 1: slower)`,
    other.throughput && base.throughput
      ? `  throughput      ${ratio(other.throughput.figures.tasksPerSecond, base.throughput.figures.tasksPerSecond)}  (below 1: slower)`
      : '  throughput      not measured on both',
  ];
}

function verdicts(results: readonly DatabaseResult[]): Verdict[] {
  return results.map((result) => {
    const { throughput } = result;
    const notSuccess =
      result.pickupNotSuccess + (throughput ? throughput.figures.tasks - throughput.figures.succeeded : 0);
    const failedRequests = [...result.pickupFailedRequests, ...(throughput?.failedRequests ?? [])];
    const problems = [
      ...(result.throughputError ? [`throughput run failed: ${result.throughputError}`] : []),
      ...(notSuccess ? [`${notSuccess} deployment(s) not Success`] : []),
      ...(failedRequests.length
        ? [
            `${failedRequests.length} request(s) to queue one answered ${[...new Set(failedRequests)].join('/')}, sent again`,
          ]
        : []),
    ];
    return {
      target: `every deployment on ${result.label} queued and succeeded`,
      measured: problems.length ? problems.join('; ') : 'all Success',
      passed: problems.length === 0,
    };
  });
}

runBenchmark(async (teardown) => {
  const dialects = options.only ? [oneOf('only', options.only, DIALECTS)] : [...DIALECTS];
  const settings: Settings = {
    count: wholeNumber('count', options.count, 1, 100_000),
    warmup: wholeNumber('warmup', options.warmup, 0, 1000),
    deployments: wholeNumber('deployments', options.deployments, 1, 100_000),
    cap: wholeNumber('cap', options.cap, 1, 1000),
    posters: wholeNumber('posters', options.posters, 1, 64),
    // The production default, read from the configuration code rather than copied here.
    pollMs: wholeNumber(
      'poll-ms',
      options['poll-ms'] ?? String(loadFlotillaConfig({}).pollIntervalMs),
      10,
      600_000,
    ),
    redis: options['no-redis'] !== 'true',
    nodeOutput: options['node-output'],
  };
  const contenders: Contender[] = [];
  for (const dialect of dialects) contenders.push(await startContender(teardown, dialect, settings));
  await interleavedPickups(contenders, settings);
  const results: DatabaseResult[] = [];
  // Throughput one database at a time: two nodes executing at once would compete for the CPUs.
  for (const contender of contenders) {
    const pickup = {
      pickup: summarise(pickupLatencies(contender.pickupTasks)),
      pickupNotSuccess: contender.pickupTasks.filter((task) => task.state !== 'Success').length,
      pickupFailedRequests: contender.pickupTarget.failedRequests,
    };
    try {
      const throughput = await measureThroughput(
        contender.api,
        [contender.nodeName],
        { count: settings.deployments, cap: settings.cap, posters: settings.posters },
        `${contender.label} throughput`,
      );
      results.push({ ...contender, ...pickup, throughput });
    } catch (error) {
      // The other database's figures still stand: report this one as failed, saying why.
      const message = error instanceof Error ? error.message : String(error);
      progress(`${contender.label} throughput failed: ${message}`);
      results.push({ ...contender, ...pickup, throughputError: message });
    }
  }

  process.stdout.write(
    [
      '',
      `Databases, ONE node each (six services, no HAProxy), task cap ${settings.cap}, ` +
        `${settings.redis ? `Redis wake-up (poll ${settings.pollMs} ms as fallback)` : `polling every ${settings.pollMs} ms, no Redis`}.`,
      `Pickup: ${settings.count} deployments of a trivial script per database, one after another, alternating between`,
      `the databases (after ${settings.warmup} warm-ups each); latency = startedAt - queuedAt, database time.`,
      `Throughput: ${settings.deployments} deployments of a script that sleeps ${THROUGHPUT_SCRIPT_SECONDS} s, queued by ${settings.posters} clients (queueing: client time)`,
      `per database while its node's cap is 0, then released; tasks/s = tasks / (last completedAt - first startedAt), database time.`,
      '',
      resultTable(results, settings),
      '',
      ...results.map((result) => `${result.label}: ${result.server}; ${result.durability}`),
      '',
      ...ratioLines(results),
      ...(results.some((result) => result.label.includes('Babelfish'))
        ? [
            'Babelfish is PostgreSQL underneath, speaking TDS and T-SQL: its figures are not SQL Server figures.',
          ]
        : []),
    ].join('\n') + '\n',
  );
  return printVerdicts(verdicts(results));
});
